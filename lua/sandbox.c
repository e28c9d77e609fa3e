/* sandbox: what a scenario may touch. It opens only the pure libraries (base, coroutine,
 * table, string, math, utf8), explains the missing ones (os, io, package, debug), limits
 * loading code to text files in the scenario's folder, and keeps scripts deterministic
 * (sorted pairs, math.random seeded from the run's seed) and unable to swallow a fatal error. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "rt.h"

#define LOADED_KEY "ksim.loaded"
#define RANDOMSEED_KEY "ksim.randomseed"

static const char *const forbidden[] = { "os", "io", "package", "debug", NULL };

static bool is_forbidden(const char *name)
{
    for (size_t i = 0; forbidden[i]; i++)
        if (strcmp(forbidden[i], name) == 0)
            return true;
    return false;
}

static int sandbox_error(lua_State *L, const char *name)
{
    return luaL_error(L, "'%s' is not available in ksim scenarios (scenarios are sandboxed: "
                      "no files, processes or clock)", name);
}

/* __index of the globals: a missing global is nil, as in plain Lua, but reaching for a
 * library the sandbox removed says so instead of "attempt to index a nil value". */
static int globals_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING && is_forbidden(lua_tostring(L, 2)))
        return sandbox_error(L, lua_tostring(L, 2));
    return 0;
}

/* ---- errors that end the run cannot be caught ---- */

static int finish_pcall(lua_State *L, int status, lua_KContext extra)
{
    if (status != LUA_OK && status != LUA_YIELD) {
        rt_t *rt = rt_get(L);
        if (rt->fatal)
            return rt_raise_fatal(L, rt);
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

static int l_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, finish_pcall);
    return finish_pcall(L, status, 0);
}

static int l_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_pcall);
    return finish_pcall(L, status, 2);
}

/* Runs the library function a wrapper replaced (its upvalue 1) in the wrapper's own call
 * frame, so that its errors name the function and the script line as Lua's own do
 * ("t.lua:3: bad argument #1 to 'resume'"). It must be a C function without upvalues. */
static int call_original(lua_State *L)
{
    lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
    assert(f);
    return f(L);
}

static int l_co_resume(lua_State *L)
{
    if (task_is_thread(L, 1))
        return luaL_error(L, "coroutine.resume cannot resume a ksim task: tasks are resumed "
                          "by the engine when what they wait for happens");
    int n = call_original(L);
    rt_t *rt = rt_get(L);
    if (rt->fatal)
        return rt_raise_fatal(L, rt);
    return n;
}

static int l_co_close(lua_State *L)
{
    if (task_is_thread(L, 1))
        return luaL_error(L, "coroutine.close cannot close a ksim task");
    return call_original(L);
}

/* ---- deterministic pairs ---- */

typedef struct skey {
    int rank; /* 0 numbers, 1 strings, 2 booleans, 3 others */
    bool is_int;
    lua_Integer i;
    lua_Number d;
    const char *s;
    size_t len;
    int pos;
} skey_t;

static int cmp_num(const skey_t *a, const skey_t *b)
{
    if (a->is_int && b->is_int)
        return a->i < b->i ? -1 : a->i > b->i;
    lua_Number x = a->is_int ? (lua_Number)a->i : a->d;
    lua_Number y = b->is_int ? (lua_Number)b->i : b->d;
    return x < y ? -1 : x > y;
}

static int cmp_skey(const void *pa, const void *pb)
{
    const skey_t *a = pa, *b = pb;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    int c = 0;
    if (a->rank == 0) {
        c = cmp_num(a, b);
    } else if (a->rank == 1) {
        size_t m = a->len < b->len ? a->len : b->len;
        c = memcmp(a->s, b->s, m);
        if (c == 0)
            c = a->len < b->len ? -1 : a->len > b->len;
    } else if (a->rank == 2) {
        c = (int)a->i - (int)b->i;
    }
    if (c != 0)
        return c;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* upvalues: the table, the sorted keys, the position reached */
static int sorted_next(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer n = (lua_Integer)lua_rawlen(L, lua_upvalueindex(2));
    while (++i <= n) {
        lua_rawgeti(L, lua_upvalueindex(2), i);
        lua_pushvalue(L, -1);
        lua_rawget(L, lua_upvalueindex(1));
        if (!lua_isnil(L, -1)) {
            lua_pushinteger(L, i);
            lua_replace(L, lua_upvalueindex(3));
            return 2;
        }
        lua_pop(L, 2);
    }
    lua_pushinteger(L, n);
    lua_replace(L, lua_upvalueindex(3));
    lua_pushnil(L);
    return 1;
}

/* Lua's own order depends on a per-process hash seed; scripts see keys sorted instead:
 * numbers, then strings, then booleans, then other keys. */
static int l_pairs(lua_State *L)
{
    if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 3);
        return 3;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L); /* 2: keys */
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, 2, ++n);
    }
    skey_t *ks = lua_newuserdatauv(L, sizeof *ks * (size_t)(n ? n : 1), 0); /* 3 */
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, i);
        skey_t *k = &ks[i - 1];
        memset(k, 0, sizeof *k);
        k->pos = i;
        switch (lua_type(L, -1)) {
        case LUA_TNUMBER:
            k->rank = 0;
            k->is_int = lua_isinteger(L, -1);
            k->i = lua_tointeger(L, -1);
            k->d = lua_tonumber(L, -1);
            break;
        case LUA_TSTRING:
            k->rank = 1;
            k->s = lua_tolstring(L, -1, &k->len); /* anchored by the keys table */
            break;
        case LUA_TBOOLEAN:
            k->rank = 2;
            k->i = lua_toboolean(L, -1);
            break;
        default:
            k->rank = 3;
        }
        lua_pop(L, 1);
    }
    qsort(ks, (size_t)n, sizeof *ks, cmp_skey);
    lua_newtable(L); /* 4: sorted keys */
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 2, ks[i].pos);
        lua_rawseti(L, 4, i + 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 4);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sorted_next, 3);
    lua_pushnil(L);
    lua_pushnil(L);
    return 3;
}

/* ---- collectgarbage, math.randomseed ---- */

static int l_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "count") == 0) {
        int kb = lua_gc(L, LUA_GCCOUNT, 0);
        int b = lua_gc(L, LUA_GCCOUNTB, 0);
        lua_pushnumber(L, (lua_Number)kb + (lua_Number)b / 1024);
        return 1;
    }
    if (strcmp(opt, "collect") == 0) {
        lua_gc(L, LUA_GCCOLLECT, 0);
        lua_pushinteger(L, 0);
        return 1;
    }
    return luaL_error(L, "collectgarbage('%s') is not available in ksim scenarios (only "
                      "\"count\" and \"collect\")", opt);
}

/* Without an argument, Lua would seed from the clock: here it is the run's seed. The
 * arguments are checked here, so that a bad one is reported as Lua reports it (the
 * original keeps its state in an upvalue and cannot run in this frame). */
static int l_randomseed(lua_State *L)
{
    int n = lua_gettop(L);
    if (n == 0) {
        lua_pushinteger(L, (lua_Integer)rt_get(L)->seed);
        n = 1;
    } else {
        luaL_checkinteger(L, 1);
        luaL_optinteger(L, 2, 0);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, RANDOMSEED_KEY);
    lua_insert(L, 1);
    lua_call(L, n, 0);
    return 0;
}

void rt_reseed_math(lua_State *L, uint64_t seed)
{
    lua_getfield(L, LUA_REGISTRYINDEX, RANDOMSEED_KEY);
    lua_pushinteger(L, (lua_Integer)seed);
    lua_call(L, 1, 0);
}

/* ---- loading code from the scenario's folder ---- */

char *rt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            errno = ENOMEM;
            return NULL;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    *len = n;
    return buf;
}

static bool has_dotdot(const char *p)
{
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 2 && s[0] == '.' && s[1] == '.')
            return true;
        if (!e)
            break;
        s = e + 1;
    }
    return false;
}

/* The file must resolve (symbolic links followed) to somewhere inside the folder. */
static bool inside_folder(const rt_t *rt, const char *path)
{
    char dir[PATH_MAX], file[PATH_MAX];
    if (!realpath(rt->dir[0] ? rt->dir : ".", dir) || !realpath(path, file))
        return true; /* does not exist: opening it reports that */
    size_t n = strlen(dir);
    return strncmp(dir, file, n) == 0 && (file[n] == '/' || dir[n - 1] == '/');
}

int rt_load_scenario_file(lua_State *L, rt_t *rt, const char *rel, const char *what)
{
    const char *why = NULL;
    size_t len = strlen(rel);
    if (len == 0)
        why = "the path is empty";
    else if (rel[0] == '/' || rel[0] == '~')
        why = "the path is absolute";
    else if (has_dotdot(rel))
        why = "the path contains '..'";
    else if (strchr(rel, '\\'))
        why = "the path contains '\\'";
    else if (len < 5 || strcmp(rel + len - 4, ".lua") != 0)
        why = "it is not a .lua file";
    if (why)
        return luaL_error(L, "%s('%s') is refused: scenarios may only load .lua files from "
                          "their own folder (%s)", what, rel, why);
    lua_pushfstring(L, "%s%s", rt->dir, rel);
    const char *path = lua_tostring(L, -1);
    if (!inside_folder(rt, path))
        return luaL_error(L, "%s('%s') is refused: it leads outside the scenario's folder", what,
                          rel);
    size_t n = 0;
    char *buf = rt_read_file(path, &n);
    if (!buf)
        return luaL_error(L, "%s('%s'): cannot open %s: %s", what, rel, path, strerror(errno));
    lua_pop(L, 1);
    lua_pushfstring(L, "@%s", rel);
    int st = luaL_loadbufferx(L, buf, n, lua_tostring(L, -1), "t");
    free(buf);
    lua_remove(L, -2);
    return st;
}

static int finish_dofile(lua_State *L, int status, lua_KContext base)
{
    return lua_gettop(L) - (int)base;
}

static int l_dofile(lua_State *L)
{
    const char *rel = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    if (rt_load_scenario_file(L, rt_get(L), rel, "dofile") != LUA_OK)
        return lua_error(L);
    lua_callk(L, 0, LUA_MULTRET, 1, finish_dofile);
    return finish_dofile(L, LUA_OK, 1);
}

static int l_loadfile(lua_State *L)
{
    const char *rel = luaL_checkstring(L, 1);
    const char *mode = luaL_optstring(L, 2, "t");
    bool has_env = !lua_isnone(L, 3);
    if (!strchr(mode, 't'))
        return luaL_error(L, "loadfile: binary chunks are not allowed in ksim scenarios");
    if (rt_load_scenario_file(L, rt_get(L), rel, "loadfile") != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) {
        lua_pushvalue(L, 3);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

/* load(chunk [, chunkname [, mode [, env]]]): text chunks only. An explicit env, even
 * nil, is passed on; none keeps the globals. */
static int l_load(lua_State *L)
{
    const char *mode = luaL_optstring(L, 3, "t");
    if (!strchr(mode, 't'))
        return luaL_error(L, "load: binary chunks are not allowed in ksim scenarios");
    if (lua_gettop(L) < 3)
        lua_settop(L, 3);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    return call_original(L);
}

/* Finalizers run with hooks off, so the instruction budget could not stop one. */
static int l_setmetatable(lua_State *L)
{
    bool has_gc = false;
    if (lua_istable(L, 2)) {
        lua_pushliteral(L, "__gc");
        has_gc = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
    }
    if (has_gc)
        return luaL_error(L, "__gc metamethods are not available in ksim scenarios "
                          "(finalizers would run outside the instruction budget)");
    return call_original(L);
}

static bool valid_module_name(const char *s)
{
    if (!*s || *s == '.')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static int l_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LOADED_KEY); /* 2 */
    if (lua_getfield(L, 2, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    if (is_forbidden(name))
        return sandbox_error(L, name);
    if (!valid_module_name(name) || strstr(name, ".."))
        return luaL_error(L, "require('%s'): a module name is letters, digits, '_', '-' and "
                          "'.' (ksim scenarios only require Lua files from their folder)", name);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (const char *s = name; *s; s++)
        luaL_addchar(&b, *s == '.' ? '/' : *s);
    luaL_addstring(&b, ".lua");
    luaL_pushresult(&b); /* 3: the relative path */
    rt_t *rt = rt_get(L);
    lua_pushfstring(L, "%s%s", rt->dir, lua_tostring(L, 3));
    FILE *f = fopen(lua_tostring(L, -1), "rb");
    if (!f)
        return luaL_error(L, "module '%s' not found: ksim scenarios only require Lua files "
                          "from their own folder (looked for %s)", name, lua_tostring(L, -1));
    fclose(f);
    lua_pop(L, 1);
    if (rt_load_scenario_file(L, rt, lua_tostring(L, 3), "require") != LUA_OK)
        return lua_error(L);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 2, name);
    lua_pushvalue(L, 3);
    return 2;
}

/* ---- loops inside C functions ----
 * The instruction budget counts Lua instructions only: a loop inside a C library function
 * runs to its end. These wrappers refuse the calls whose loop could run for ever. */

#define MOVE_MAX 10000000          /* elements table.move may copy */
#define PATTERN_MAX_STEPS 1e9      /* (subject length)^(repetition items) */

static int l_string_rep(lua_State *L)
{
    size_t len, sep_len;
    luaL_checklstring(L, 1, &len);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &sep_len);
    /* Lua would loop n times copying nothing. */
    if (n <= 0 || len + sep_len == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    double total = (double)len * (double)n + (double)sep_len * (double)(n - 1);
    if (total > (double)RT_MEMORY_LIMIT) {
        char size[64];
        snprintf(size, sizeof size, "%.0f", total);
        return luaL_error(L, "string.rep: the result would be %s bytes, more than the %d MiB "
                          "of Lua memory a scenario may use", size, (int)(RT_MEMORY_LIMIT >> 20));
    }
    return call_original(L);
}

static int l_table_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);
    if (e >= f && (lua_Unsigned)e - (lua_Unsigned)f >= MOVE_MAX)
        return luaL_error(L, "table.move: the range %I..%I has more than %d elements, the limit "
                          "in ksim scenarios (the instruction budget cannot stop a loop inside "
                          "table.move)", f, e, MOVE_MAX);
    return call_original(L);
}

/* Where the single-character class starting at p[i] ends (Lua's classEnd); len when the
 * pattern is malformed (the library reports that). */
static size_t class_end(const char *p, size_t len, size_t i)
{
    if (p[i] == '%')
        return i + 2 <= len ? i + 2 : len;
    if (p[i] != '[')
        return i + 1;
    size_t j = i + 1;
    if (j < len && p[j] == '^')
        j++;
    do { /* the first character is part of the set, even a ']' */
        if (j >= len)
            return len;
        if (p[j++] == '%' && j < len)
            j++;
    } while (j >= len || p[j] != ']');
    return j + 1;
}

/* The pattern's repetition items: single-character classes followed by '*', '+' or '-',
 * read as Lua's matcher reads them (escapes, sets, %b, %f, back references). */
static int repetition_items(const char *p, size_t len, bool anchor)
{
    int items = 0;
    size_t i = anchor && len > 0 && p[0] == '^' ? 1 : 0;
    while (i < len) {
        char c = p[i];
        if (c == '(' || c == ')' || (c == '$' && i + 1 == len)) {
            i++;
            continue;
        }
        if (c == '%' && i + 1 < len) {
            char d = p[i + 1];
            if (d == 'b') {
                i += 4;
                continue;
            }
            if (d == 'f') {
                i = i + 2 < len ? class_end(p, len, i + 2) : len;
                continue;
            }
            if (d >= '0' && d <= '9') {
                i += 2;
                continue;
            }
        }
        size_t e = class_end(p, len, i);
        if (e < len && (p[e] == '*' || p[e] == '+' || p[e] == '-')) {
            items++;
            e++;
        } else if (e < len && p[e] == '?') {
            e++;
        }
        i = e;
    }
    return items;
}

/* string.find, match, gmatch and gsub (also as methods of strings). A pattern with k
 * repetition items can backtrack through about n^k positions of an n-byte subject, all
 * inside the library: those are refused before they start. Upvalue 2: 1 for find (whose
 * 4th argument asks for a plain search), 2 for gmatch (where '^' is not an anchor). */
static int l_pattern(lua_State *L)
{
    size_t n, len;
    luaL_checklstring(L, 1, &n);
    const char *p = luaL_checklstring(L, 2, &len);
    lua_Integer kind = lua_tointeger(L, lua_upvalueindex(2));
    if (kind == 1 && lua_toboolean(L, 4))
        return call_original(L);
    int items = repetition_items(p, len, kind != 2);
    /* An unanchored pattern is tried from every position: one more factor of n. */
    bool anchored = len > 0 && p[0] == '^' && kind != 2;
    int factors = items + (anchored ? 0 : 1);
    if (items >= 1 && pow((double)n, factors) > PATTERN_MAX_STEPS)
        return luaL_error(L, "pattern too costly: %d repetition item%s over a subject of %I "
                          "bytes could run for ever (the instruction budget cannot stop it); "
                          "use fewer, anchor it with ^, or search plain text "
                          "(string.find(s, text, 1, true))",
                          items, items == 1 ? "" : "s", (lua_Integer)n);
    return call_original(L);
}

static void wrap_pattern(lua_State *L, const char *field, int kind)
{
    lua_getfield(L, -1, field);
    lua_pushinteger(L, kind);
    lua_pushcclosure(L, l_pattern, 2);
    lua_setfield(L, -2, field);
}

/* ---- opening ---- */

static void wrap_field(lua_State *L, const char *field, lua_CFunction fn)
{
    lua_getfield(L, -1, field);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, field);
}

void rt_open_sandbox(lua_State *L, rt_t *rt)
{
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base },          { LUA_COLIBNAME, luaopen_coroutine },
        { LUA_TABLIBNAME, luaopen_table },    { LUA_STRLIBNAME, luaopen_string },
        { LUA_MATHLIBNAME, luaopen_math },    { LUA_UTF8LIBNAME, luaopen_utf8 },
    };
    lua_newtable(L);
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_setfield(L, -2, libs[i].name);
    }
    lua_setfield(L, LUA_REGISTRYINDEX, LOADED_KEY);

    lua_pushglobaltable(L);
    static const luaL_Reg base[] = {
        { "pcall", l_pcall },       { "xpcall", l_xpcall },     { "pairs", l_pairs },
        { "collectgarbage", l_collectgarbage },                  { "dofile", l_dofile },
        { "loadfile", l_loadfile }, { "require", l_require },   { NULL, NULL },
    };
    luaL_setfuncs(L, base, 0);
    wrap_field(L, "load", l_load);
    wrap_field(L, "setmetatable", l_setmetatable);

    lua_getfield(L, -1, LUA_COLIBNAME);
    wrap_field(L, "resume", l_co_resume);
    wrap_field(L, "close", l_co_close);
    lua_pop(L, 1);

    /* The string table is also the strings' __index: ("x"):find is the wrapped find. */
    lua_getfield(L, -1, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    wrap_field(L, "rep", l_string_rep);
    wrap_pattern(L, "find", 1);
    wrap_pattern(L, "match", 0);
    wrap_pattern(L, "gmatch", 2);
    wrap_pattern(L, "gsub", 0);
    lua_pop(L, 1);

    lua_getfield(L, -1, LUA_TABLIBNAME);
    wrap_field(L, "move", l_table_move);
    lua_pop(L, 1);

    lua_getfield(L, -1, LUA_MATHLIBNAME);
    lua_getfield(L, -1, "randomseed");
    lua_setfield(L, LUA_REGISTRYINDEX, RANDOMSEED_KEY);
    lua_pushcfunction(L, l_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    rt_reseed_math(L, rt->seed);

    lua_newtable(L); /* the globals' metatable */
    lua_pushcfunction(L, globals_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "the globals of a ksim scenario are protected");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}
