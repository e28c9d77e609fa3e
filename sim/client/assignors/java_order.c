/* java_order: Java's string order and java.util.HashMap's iteration order (OpenJDK 8 to
 * 21 share this HashMap). Function names follow HashMap's: put ~ putVal, tree_put ~
 * TreeNode.putTreeVal, tree_remove ~ TreeNode.removeTreeNode, split ~ TreeNode.split. */
#include "java_order.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/hash.h"

enum {
    DEFAULT_CAPACITY = 16,
    TREEIFY_THRESHOLD = 8,   /* a chain this long, plus the new node, becomes a tree */
    UNTREEIFY_THRESHOLD = 6, /* a tree half this small at a split becomes a chain */
    MIN_TREEIFY_CAPACITY = 64,
    NIL = -1,
};

/* A tree node's children are kid[LEFT] and kid[RIGHT]: each mirrored pair of cases of
 * HashMap.TreeNode is one piece of code here, with the side as a parameter. */
enum { LEFT = 0, RIGHT = 1 };

/* ---- String.compareTo ---- */

static uint32_t utf8_decode(const unsigned char *p)
{
    if (p[0] < 0x80)
        return p[0];
    if (p[0] < 0xe0)
        return ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
    if (p[0] < 0xf0)
        return ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
    return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
           ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
}

/* The first UTF-16 code unit of a code point: its high surrogate when outside the BMP. */
static uint32_t first_unit(uint32_t cp)
{
    return cp >= 0x10000 ? 0xd800 + ((cp - 0x10000) >> 10) : cp;
}

int jorder_strcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    while (*p && *p == *q) {
        p++;
        q++;
    }
    if (*p == *q)
        return 0;
    if (!*p)
        return -1;
    if (!*q)
        return 1;
    /* Equal bytes so far: back both up to the start of the code point that differs. */
    while (p > (const unsigned char *)a && (*p & 0xc0) == 0x80) {
        p--;
        q--;
    }
    uint32_t ca = utf8_decode(p), cb = utf8_decode(q);
    uint32_t ua = first_unit(ca), ub = first_unit(cb);
    if (ua != ub)
        return ua < ub ? -1 : 1;
    return ca < cb ? -1 : 1; /* two surrogate pairs: their order is the code points' */
}

int32_t jorder_tp_hash(int32_t topic_hash, int32_t partition)
{
    uint32_t r = 31u + (uint32_t)partition;
    return (int32_t)(31u * r + (uint32_t)topic_hash);
}

/* ---- the table ---- */

#define N(m, x) ((m)->node[(x)])

static int32_t spread(int32_t h)
{
    return (int32_t)((uint32_t)h ^ ((uint32_t)h >> 16));
}

static int32_t table_size_for(int32_t c)
{
    int32_t n = 1;
    while (n < c && n < (1 << 30))
        n <<= 1;
    return n;
}

void jorder_map_init(jorder_map_t *m, int32_t capacity, jorder_cmp_fn cmp, const void *ctx)
{
    memset(m, 0, sizeof *m);
    /* Like HashMap, the requested capacity waits in `threshold` until the first put. */
    m->threshold = capacity < 0 ? 0 : table_size_for(capacity);
    m->free_node = NIL;
    m->cmp = cmp;
    m->cmp_ctx = ctx;
}

void jorder_map_free(jorder_map_t *m)
{
    free(m->bin);
    free(m->tree);
    free(m->node);
    memset(m, 0, sizeof *m);
}

static int32_t new_node(jorder_map_t *m, int32_t hash, int32_t key)
{
    int32_t x;
    if (m->free_node != NIL) {
        x = m->free_node;
        m->free_node = N(m, x).next;
    } else {
        if (m->nnode == m->node_cap) {
            m->node_cap = m->node_cap ? m->node_cap * 2 : 16;
            m->node = realloc(m->node, (size_t)m->node_cap * sizeof *m->node);
            assert(m->node);
        }
        x = m->nnode++;
    }
    N(m, x) = (jorder_node_t){ NIL, NIL, NIL, { NIL, NIL }, hash, key, 0 };
    return x;
}

static void free_node(jorder_map_t *m, int32_t x)
{
    N(m, x).next = m->free_node;
    m->free_node = x;
}

static int32_t find_in_bin(const jorder_map_t *m, int32_t h, int32_t key)
{
    for (int32_t e = m->bin[h & (m->cap - 1)]; e != NIL; e = N(m, e).next)
        if (N(m, e).hash == h && N(m, e).key == key)
            return e;
    return NIL;
}

/* The direction of key x from tree node p: by hash, then compareTo (tieBreakOrder's
 * identity hash cannot be replayed, so keys the caller calls equal go by value). */
static int tree_dir(const jorder_map_t *m, int32_t x, int32_t p)
{
    if (N(m, p).hash > N(m, x).hash)
        return -1;
    if (N(m, p).hash < N(m, x).hash)
        return 1;
    int d = m->cmp ? m->cmp(N(m, x).key, N(m, p).key, m->cmp_ctx) : 0;
    if (d == 0)
        d = N(m, x).key < N(m, p).key ? -1 : 1;
    return d;
}

/* ---- red-black tree bins (HashMap.TreeNode) ---- */

/* rotateLeft (d = LEFT) and rotateRight (d = RIGHT): p's child on the other side takes
 * its place. */
static int32_t rotate(jorder_map_t *m, int32_t root, int32_t p, int d)
{
    int32_t c = p == NIL ? NIL : N(m, p).kid[!d];
    if (c == NIL)
        return root;
    int32_t inner = N(m, p).kid[!d] = N(m, c).kid[d];
    if (inner != NIL)
        N(m, inner).parent = p;
    int32_t pp = N(m, c).parent = N(m, p).parent;
    if (pp == NIL) {
        root = c;
        N(m, c).red = 0;
    } else {
        N(m, pp).kid[N(m, pp).kid[LEFT] == p ? LEFT : RIGHT] = c;
    }
    N(m, c).kid[d] = p;
    N(m, p).parent = c;
    return root;
}

static bool is_red(const jorder_map_t *m, int32_t x)
{
    return x != NIL && N(m, x).red;
}

static int32_t balance_insertion(jorder_map_t *m, int32_t root, int32_t x)
{
    N(m, x).red = 1;
    for (;;) {
        int32_t xp = N(m, x).parent, xpp;
        if (xp == NIL) {
            N(m, x).red = 0;
            return x;
        }
        if (!N(m, xp).red || (xpp = N(m, xp).parent) == NIL)
            return root;
        int side = xp == N(m, xpp).kid[LEFT] ? LEFT : RIGHT; /* where the parent hangs */
        int32_t uncle = N(m, xpp).kid[!side];
        if (is_red(m, uncle)) {
            N(m, uncle).red = 0;
            N(m, xp).red = 0;
            N(m, xpp).red = 1;
            x = xpp;
            continue;
        }
        if (x == N(m, xp).kid[!side]) {
            x = xp;
            root = rotate(m, root, x, side);
            xp = N(m, x).parent;
            xpp = xp == NIL ? NIL : N(m, xp).parent;
        }
        if (xp != NIL) {
            N(m, xp).red = 0;
            if (xpp != NIL) {
                N(m, xpp).red = 1;
                root = rotate(m, root, xpp, !side);
            }
        }
    }
}

/* The deletion fix-up, case for case as TreeNode.balanceDeletion. */
static int32_t balance_deletion(jorder_map_t *m, int32_t root, int32_t x)
{
    for (;;) {
        int32_t xp;
        if (x == NIL || x == root)
            return root;
        if ((xp = N(m, x).parent) == NIL) {
            N(m, x).red = 0;
            return x;
        }
        if (N(m, x).red) {
            N(m, x).red = 0;
            return root;
        }
        int side = N(m, xp).kid[LEFT] == x ? LEFT : RIGHT; /* where x hangs */
        int32_t sib = N(m, xp).kid[!side];
        if (is_red(m, sib)) {
            N(m, sib).red = 0;
            N(m, xp).red = 1;
            root = rotate(m, root, xp, side);
            xp = N(m, x).parent;
            sib = xp == NIL ? NIL : N(m, xp).kid[!side];
        }
        if (sib == NIL) {
            x = xp;
            continue;
        }
        int32_t near = N(m, sib).kid[side], far = N(m, sib).kid[!side];
        if (!is_red(m, near) && !is_red(m, far)) {
            N(m, sib).red = 1;
            x = xp;
            continue;
        }
        if (!is_red(m, far)) {
            if (near != NIL)
                N(m, near).red = 0;
            N(m, sib).red = 1;
            root = rotate(m, root, sib, !side);
            xp = N(m, x).parent;
            sib = xp == NIL ? NIL : N(m, xp).kid[!side];
        }
        if (sib != NIL) {
            N(m, sib).red = xp == NIL ? 0 : N(m, xp).red;
            if ((far = N(m, sib).kid[!side]) != NIL)
                N(m, far).red = 0;
        }
        if (xp != NIL) {
            N(m, xp).red = 0;
            root = rotate(m, root, xp, side);
        }
        x = root;
    }
}

static void move_root_to_front(jorder_map_t *m, int32_t root)
{
    int32_t index = N(m, root).hash & (m->cap - 1);
    int32_t first = m->bin[index];
    if (root == first)
        return;
    m->bin[index] = root;
    int32_t rp = N(m, root).prev, rn = N(m, root).next;
    if (rn != NIL)
        N(m, rn).prev = rp;
    if (rp != NIL)
        N(m, rp).next = rn;
    if (first != NIL)
        N(m, first).prev = root;
    N(m, root).next = first;
    N(m, root).prev = NIL;
}

/* Builds the tree of bin `index` from its chain, in chain order (TreeNode.treeify). */
static void treeify(jorder_map_t *m, int32_t index)
{
    int32_t root = NIL, next;
    for (int32_t x = m->bin[index]; x != NIL; x = next) {
        next = N(m, x).next;
        N(m, x).kid[LEFT] = N(m, x).kid[RIGHT] = NIL;
        if (root == NIL) {
            N(m, x).parent = NIL;
            N(m, x).red = 0;
            root = x;
            continue;
        }
        for (int32_t p = root;;) {
            int dir = tree_dir(m, x, p);
            int32_t xp = p;
            p = N(m, p).kid[dir > 0];
            if (p == NIL) {
                N(m, x).parent = xp;
                N(m, xp).kid[dir > 0] = x;
                root = balance_insertion(m, root, x);
                break;
            }
        }
    }
    m->tree[index] = 1;
    move_root_to_front(m, root);
}

static int32_t root_of(const jorder_map_t *m, int32_t x)
{
    while (N(m, x).parent != NIL)
        x = N(m, x).parent;
    return x;
}

/* TreeNode.putTreeVal for a key known to be absent: the new node is linked into the
 * chain right after its tree parent. */
static void tree_put(jorder_map_t *m, int32_t index, int32_t x)
{
    int32_t root = root_of(m, m->bin[index]);
    for (int32_t p = root;;) {
        int dir = tree_dir(m, x, p);
        int32_t xp = p;
        p = N(m, p).kid[dir > 0];
        if (p != NIL)
            continue;
        int32_t xpn = N(m, xp).next;
        N(m, x).next = xpn;
        N(m, xp).kid[dir > 0] = x;
        N(m, xp).next = x;
        N(m, x).parent = N(m, x).prev = xp;
        if (xpn != NIL)
            N(m, xpn).prev = x;
        move_root_to_front(m, balance_insertion(m, root, x));
        return;
    }
}

/* The node that takes p's place in the tree when p has two children: p's successor s
 * swaps places and colours with p (first half of TreeNode.removeTreeNode). Returns the
 * replacement node for p's new position. */
static int32_t swap_with_successor(jorder_map_t *m, int32_t *root, int32_t p)
{
    int32_t pl = N(m, p).kid[LEFT], pr = N(m, p).kid[RIGHT], s = pr, sl;
    while ((sl = N(m, s).kid[LEFT]) != NIL)
        s = sl;
    uint8_t c = N(m, s).red;
    N(m, s).red = N(m, p).red;
    N(m, p).red = c;
    int32_t sr = N(m, s).kid[RIGHT], pp = N(m, p).parent;
    if (s == pr) {
        N(m, p).parent = s;
        N(m, s).kid[RIGHT] = p;
    } else {
        int32_t sp = N(m, s).parent;
        if ((N(m, p).parent = sp) != NIL) {
            if (s == N(m, sp).kid[LEFT])
                N(m, sp).kid[LEFT] = p;
            else
                N(m, sp).kid[RIGHT] = p;
        }
        if ((N(m, s).kid[RIGHT] = pr) != NIL)
            N(m, pr).parent = s;
    }
    N(m, p).kid[LEFT] = NIL;
    if ((N(m, p).kid[RIGHT] = sr) != NIL)
        N(m, sr).parent = p;
    if ((N(m, s).kid[LEFT] = pl) != NIL)
        N(m, pl).parent = s;
    if ((N(m, s).parent = pp) == NIL)
        *root = s;
    else if (p == N(m, pp).kid[LEFT])
        N(m, pp).kid[LEFT] = s;
    else
        N(m, pp).kid[RIGHT] = s;
    return sr != NIL ? sr : p;
}

/* TreeNode.removeTreeNode(movable = true) for node p of tree bin `index`. */
static void tree_remove(jorder_map_t *m, int32_t index, int32_t p)
{
    int32_t first = m->bin[index], root = first;
    int32_t succ = N(m, p).next, pred = N(m, p).prev;
    if (pred == NIL)
        m->bin[index] = first = succ;
    else
        N(m, pred).next = succ;
    if (succ != NIL)
        N(m, succ).prev = pred;
    if (first == NIL) {
        m->tree[index] = 0;
        return;
    }
    root = root_of(m, root);
    int32_t rl;
    if (N(m, root).kid[RIGHT] == NIL || (rl = N(m, root).kid[LEFT]) == NIL ||
        N(m, rl).kid[LEFT] == NIL) {
        m->tree[index] = 0; /* too small: the chain (already without p) becomes plain */
        return;
    }
    int32_t pl = N(m, p).kid[LEFT], pr = N(m, p).kid[RIGHT], replacement;
    if (pl != NIL && pr != NIL)
        replacement = swap_with_successor(m, &root, p);
    else if (pl != NIL)
        replacement = pl;
    else if (pr != NIL)
        replacement = pr;
    else
        replacement = p;
    if (replacement != p) {
        int32_t pp = N(m, replacement).parent = N(m, p).parent;
        if (pp == NIL) {
            root = replacement;
            N(m, replacement).red = 0;
        } else if (p == N(m, pp).kid[LEFT]) {
            N(m, pp).kid[LEFT] = replacement;
        } else {
            N(m, pp).kid[RIGHT] = replacement;
        }
        N(m, p).kid[LEFT] = N(m, p).kid[RIGHT] = N(m, p).parent = NIL;
    }
    int32_t r = N(m, p).red ? root : balance_deletion(m, root, replacement);
    if (replacement == p) {
        int32_t pp = N(m, p).parent;
        N(m, p).parent = NIL;
        if (pp != NIL) {
            if (p == N(m, pp).kid[LEFT])
                N(m, pp).kid[LEFT] = NIL;
            else if (p == N(m, pp).kid[RIGHT])
                N(m, pp).kid[RIGHT] = NIL;
        }
    }
    move_root_to_front(m, r);
}

/* ---- resizing ---- */

/* Splits the chain `e` of an old bin into the low and the high list by the hash's `bit`,
 * both in chain order (resize's loHead/hiHead); counts each list's length. */
static void split_links(jorder_map_t *m, int32_t e, int32_t bit, int32_t head[2],
                        int32_t count[2])
{
    int32_t tail[2] = { NIL, NIL }, next;
    for (; e != NIL; e = next) {
        next = N(m, e).next;
        N(m, e).next = NIL;
        int hi = (N(m, e).hash & bit) != 0;
        if ((N(m, e).prev = tail[hi]) == NIL)
            head[hi] = e;
        else
            N(m, tail[hi]).next = e;
        tail[hi] = e;
        count[hi]++;
    }
}

/* Splits an old bin into bins index and index + bit; a tree bin's halves stay trees when
 * long enough, rebuilt when the other half took nodes away (TreeNode.split). */
static void split_bin(jorder_map_t *m, int32_t e, int32_t index, int32_t bit, bool tree)
{
    int32_t head[2] = { NIL, NIL }, count[2] = { 0, 0 };
    split_links(m, e, bit, head, count);
    for (int hi = 0; hi < 2; hi++) {
        int32_t at = index + (hi ? bit : 0);
        m->bin[at] = head[hi];
        if (!tree || head[hi] == NIL)
            continue;
        m->tree[at] = count[hi] > UNTREEIFY_THRESHOLD;
        if (m->tree[at] && head[!hi] != NIL)
            treeify(m, at);
    }
}

static void resize(jorder_map_t *m)
{
    int32_t old_cap = m->cap, *old_bin = m->bin;
    uint8_t *old_tree = m->tree;
    int32_t new_cap = old_cap > 0         ? old_cap * 2
                      : m->threshold > 0 ? m->threshold /* the capacity asked for */
                                         : DEFAULT_CAPACITY;
    m->cap = new_cap;
    m->threshold = (int32_t)((float)new_cap * 0.75f);
    m->bin = malloc((size_t)new_cap * sizeof *m->bin);
    m->tree = calloc((size_t)new_cap, 1);
    assert(m->bin && m->tree);
    for (int32_t i = 0; i < new_cap; i++)
        m->bin[i] = NIL;
    for (int32_t j = 0; j < old_cap; j++) {
        int32_t e = old_bin[j];
        if (e == NIL)
            continue;
        if (N(m, e).next == NIL)
            m->bin[N(m, e).hash & (new_cap - 1)] = e;
        else
            split_bin(m, e, j, old_cap, old_tree[j]);
    }
    free(old_bin);
    free(old_tree);
}

/* HashMap.treeifyBin: small tables grow instead. */
static void treeify_bin(jorder_map_t *m, int32_t hash)
{
    if (m->cap < MIN_TREEIFY_CAPACITY) {
        resize(m);
        return;
    }
    int32_t index = hash & (m->cap - 1), prev = NIL;
    for (int32_t e = m->bin[index]; e != NIL; e = N(m, e).next) {
        N(m, e).prev = prev;
        prev = e;
    }
    treeify(m, index);
}

/* ---- the map's operations ---- */

bool jorder_map_put(jorder_map_t *m, int32_t key, int32_t hashcode)
{
    int32_t h = spread(hashcode);
    if (m->cap == 0)
        resize(m);
    if (find_in_bin(m, h, key) != NIL)
        return false;
    int32_t i = h & (m->cap - 1), x = new_node(m, h, key);
    if (m->bin[i] == NIL) {
        m->bin[i] = x;
        m->tree[i] = 0;
    } else if (m->tree[i]) {
        tree_put(m, i, x);
    } else {
        int32_t last = m->bin[i], len = 1;
        while (N(m, last).next != NIL) {
            last = N(m, last).next;
            len++;
        }
        N(m, last).next = x;
        N(m, x).prev = last;
        if (len >= TREEIFY_THRESHOLD)
            treeify_bin(m, h);
    }
    if (++m->size > m->threshold)
        resize(m);
    return true;
}

bool jorder_map_remove(jorder_map_t *m, int32_t key, int32_t hashcode)
{
    if (m->cap == 0)
        return false;
    int32_t h = spread(hashcode), i = h & (m->cap - 1), x = find_in_bin(m, h, key);
    if (x == NIL)
        return false;
    if (m->tree[i]) {
        tree_remove(m, i, x);
    } else {
        int32_t prev = N(m, x).prev, next = N(m, x).next;
        if (prev == NIL)
            m->bin[i] = next;
        else
            N(m, prev).next = next;
        if (next != NIL)
            N(m, next).prev = prev;
    }
    free_node(m, x);
    m->size--;
    return true;
}

bool jorder_map_contains(const jorder_map_t *m, int32_t key, int32_t hashcode)
{
    return m->cap > 0 && find_in_bin(m, spread(hashcode), key) != NIL;
}

int32_t jorder_map_first(const jorder_map_t *m)
{
    for (int32_t i = 0; i < m->cap; i++)
        if (m->bin[i] != NIL)
            return N(m, m->bin[i]).key;
    return NIL;
}

int32_t jorder_map_keys(const jorder_map_t *m, int32_t *out)
{
    int32_t n = 0;
    for (int32_t i = 0; i < m->cap; i++)
        for (int32_t e = m->bin[i]; e != NIL; e = N(m, e).next)
            out[n++] = N(m, e).key;
    assert(n == m->size);
    return n;
}

/* ---- HashMap<String, ?> ---- */

static int cmp_strings(int32_t a, int32_t b, const void *ctx)
{
    const char *const *keys = ctx;
    return jorder_strcmp(keys[a], keys[b]);
}

void jorder_string_map_order(const char *const *keys, int32_t n, int32_t capacity,
                             int32_t *order)
{
    jorder_map_t m;
    jorder_map_init(&m, capacity, cmp_strings, keys);
    for (int32_t i = 0; i < n; i++)
        jorder_map_put(&m, i, hash_java_string(keys[i]));
    jorder_map_keys(&m, order);
    jorder_map_free(&m);
}
