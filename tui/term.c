/* term: ncurses behind the viewer. Signals only set a flag; the loop wakes at least every
 * 200 ms, sees it, and leaves through endwin like a normal quit, so the terminal is
 * restored by ordinary code rather than inside a signal handler. */
#include "term.h"

#include "screen.h"

#include <curses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IDLE_MS 200
#define PLAY_MS 30

static volatile sig_atomic_t got_signal;
static bool curses_on;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void restore_at_exit(void)
{
    if (curses_on)
        endwin();
    curses_on = false;
}

static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NCAUGHT (sizeof caught / sizeof caught[0])

static void catch_signals(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NCAUGHT; i++)
        sigaction(caught[i], &sa, &old[i]);
}

static void release_signals(const struct sigaction *old)
{
    for (size_t i = 0; i < NCAUGHT; i++)
        sigaction(caught[i], &old[i], NULL);
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- styles ---- */

static attr_t style_attr[SS_COUNT];

static void set_pair(scr_style_t st, short fg, short bg, attr_t extra)
{
    init_pair((short)(st + 1), fg, bg);
    style_attr[st] = COLOR_PAIR(st + 1) | extra;
}

static void init_styles(bool color)
{
    memset(style_attr, 0, sizeof style_attr);
    if (!color || !has_colors() || start_color() == ERR) {
        style_attr[SS_TITLE] = A_REVERSE;
        style_attr[SS_HEADER] = A_BOLD;
        style_attr[SS_DOWN] = A_DIM;
        style_attr[SS_DROP] = A_BOLD;
        style_attr[SS_NOTE] = A_BOLD | A_UNDERLINE;
        style_attr[SS_DIM] = A_DIM;
        style_attr[SS_MARK] = A_BOLD;
        style_attr[SS_SELECT] = A_BOLD;
        return;
    }
    use_default_colors();
    set_pair(SS_TITLE, COLOR_WHITE, COLOR_BLUE, A_BOLD);
    set_pair(SS_HEADER, COLOR_CYAN, -1, A_BOLD);
    set_pair(SS_LANE, COLOR_BLUE, -1, 0);
    set_pair(SS_DOWN, COLOR_RED, -1, A_DIM);
    set_pair(SS_PAUSED, COLOR_YELLOW, -1, 0);
    set_pair(SS_RESPONSE, COLOR_CYAN, -1, 0);
    set_pair(SS_ERROR, COLOR_MAGENTA, -1, 0);
    set_pair(SS_DROP, COLOR_RED, -1, A_BOLD);
    set_pair(SS_FAULT, COLOR_YELLOW, -1, 0);
    set_pair(SS_NOTE, COLOR_BLACK, COLOR_YELLOW, 0);
    set_pair(SS_OK, COLOR_GREEN, -1, 0);
    set_pair(SS_STATE, COLOR_GREEN, -1, 0);
    set_pair(SS_MARK, COLOR_MAGENTA, -1, A_BOLD);
    style_attr[SS_DIM] = A_DIM;
    style_attr[SS_SELECT] = A_BOLD;
}

static attr_t cell_attr(const scr_cell_t *c)
{
    attr_t a = style_attr[c->style < SS_COUNT ? c->style : SS_NORMAL];
    if (c->flags & SF_REVERSE)
        a |= A_REVERSE;
    if (c->flags & SF_BOLD)
        a |= A_BOLD;
    return a;
}

/* ---- drawing ---- */

static void copy_row(const scr_t *s, int y)
{
    char run[4096];
    size_t len = 0;
    attr_t cur = 0;
    move(y, 0);
    for (int x = 0; x < s->w; x++) {
        const scr_cell_t *c = scr_cell(s, x, y);
        if (c->width == 0)
            continue;
        attr_t a = cell_attr(c);
        size_t k = strlen(c->s);
        if (len && (a != cur || len + k >= sizeof run)) {
            attrset(cur);
            addnstr(run, (int)len);
            len = 0;
        }
        cur = a;
        memcpy(run + len, c->s, k);
        len += k;
    }
    if (len) {
        attrset(cur);
        addnstr(run, (int)len); /* the last cell of the last row answers ERR: harmless */
    }
}

static void redraw(viewer_t *v, scr_t *s)
{
    if (s->w != COLS || s->h != LINES)
        scr_resize(s, COLS, LINES);
    viewer_draw(v, s);
    for (int y = 0; y < s->h; y++)
        copy_row(s, y);
    attrset(0);
    refresh();
}

/* ---- input ---- */

static int map_function_key(wint_t ch)
{
    switch (ch) {
    case KEY_UP: return VK_UP;
    case KEY_DOWN: return VK_DOWN;
    case KEY_LEFT: return VK_LEFT;
    case KEY_RIGHT: return VK_RIGHT;
    case KEY_PPAGE: return VK_PGUP;
    case KEY_NPAGE: return VK_PGDN;
    case KEY_HOME: return VK_HOME;
    case KEY_END: return VK_END;
    case KEY_ENTER: return VK_ENTER;
    case KEY_BACKSPACE: return VK_BACKSPACE;
    case KEY_BTAB: return VK_TAB;
    default: return -1;
    }
}

static int map_char(wint_t ch)
{
    switch (ch) {
    case '\t': return VK_TAB;
    case '\n': case '\r': return VK_ENTER;
    case 27: return VK_ESC;
    case 127: case 8: return VK_BACKSPACE;
    default: return (int)ch;
    }
}

static void mouse(viewer_t *v)
{
    MEVENT me;
    if (getmouse(&me) != OK)
        return;
    if (me.bstate & BUTTON4_PRESSED)
        viewer_key(v, VK_WHEEL_UP);
#ifdef BUTTON5_PRESSED
    else if (me.bstate & BUTTON5_PRESSED)
        viewer_key(v, VK_WHEEL_DOWN);
#endif
    else if (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_RELEASED))
        viewer_click(v, me.x, me.y);
}

/* One key (or resize, or mouse event); false when the wait ended without one. */
static bool handle_input(viewer_t *v)
{
    wint_t ch;
    int r = get_wch(&ch);
    if (r == ERR)
        return false;
    if (r != KEY_CODE_YES) {
        viewer_key(v, map_char(ch));
        return true;
    }
    if (ch == KEY_MOUSE) {
        mouse(v);
    } else if (ch != KEY_RESIZE) {
        int k = map_function_key(ch);
        if (k >= 0)
            viewer_key(v, k);
    }
    return true;
}

static bool start_curses(const term_opts_t *o, char *err, size_t errlen)
{
    SCREEN *sc = newterm(NULL, stdout, stdin);
    if (!sc) {
        const char *t = getenv("TERM");
        snprintf(err, errlen, "cannot use the terminal (TERM=%s)", t ? t : "unset");
        return false;
    }
    curses_on = true;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
                  | BUTTON5_PRESSED
#endif
              , NULL);
    mouseinterval(0);
    init_styles(o->color);
    return true;
}

int term_run(viewer_t *v, const term_opts_t *o, char *err, size_t errlen)
{
    static bool registered;
    if (!registered)
        atexit(restore_at_exit);
    registered = true;
    got_signal = 0;
    if (!start_curses(o, err, errlen))
        return -1;
    struct sigaction old[NCAUGHT];
    catch_signals(old);
    scr_t *s = scr_new(COLS, LINES, o->ascii);
    redraw(v, s);
    while (!viewer_done(v) && !got_signal) {
        timeout(viewer_playing(v) ? PLAY_MS : IDLE_MS);
        bool changed = handle_input(v);
        changed = viewer_tick(v, wall_us()) || changed;
        if (changed && !got_signal)
            redraw(v, s);
    }
    scr_free(s);
    endwin();
    curses_on = false;
    release_signals(old);
    return got_signal ? (int)got_signal : 0;
}
