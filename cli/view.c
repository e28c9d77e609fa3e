/* view: `ksim view TRACE.jsonl`, the timeline viewer on a saved trace, and the same viewer
 * for `ksim run --tui`. Off a terminal it prints the text timeline instead, so that a
 * pipe or a CI log still gets something useful. */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tui/export.h"
#include "../tui/model.h"
#include "../tui/term.h"
#include "../tui/viewer.h"
#include "commands.h"

static const char *usage_view =
    "usage: ksim view TRACE.jsonl [OPTIONS]\n"
    "\n"
    "Opens the timeline viewer on a trace written by `ksim run --trace`: one lane per\n"
    "node, messages as arrows, the state at the cursor in the inspector. Press ? in the\n"
    "viewer for its keys (docs/viewer.md). Off a terminal, prints the text timeline.\n"
    "\n"
    "options:\n"
    "  --ascii        no box drawing or symbols: ASCII only (also when the locale is not UTF-8)\n"
    "  --no-color     attributes only, no colours (also when NO_COLOR is set)\n"
    "  --help         this help\n"
    "\n"
    "exit codes: 0 ok, 1 the trace is not valid, 2 usage error (also: cannot read the\n"
    "            trace), 4 I/O error (the terminal or the standard output), 128+N the\n"
    "            viewer was ended by signal N\n";

static void progress(void *ctx, uint32_t events)
{
    fprintf(stderr, "\rksim: loading %s: %u events", (const char *)ctx, events);
}

static bool locale_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && strcmp(cs, "UTF-8") == 0;
}

int cmd_view_stream(FILE *f, const char *name, bool ascii, bool color)
{
    char err[1024];
    setlocale(LC_CTYPE, ""); /* characters only: numbers keep their '.' whatever the locale */
    bool tty_err = isatty(2);
    model_t *m = model_load(f, name, tty_err ? progress : NULL, (void *)name, err, sizeof err);
    if (tty_err)
        fputs("\r\033[K", stderr);
    if (!m) {
        fprintf(stderr, "ksim: %s\n", err);
        return 1;
    }
    int code = 0;
    if (!isatty(0) || !isatty(1)) {
        fprintf(stderr, "ksim: not a terminal: printing the text timeline of %s instead\n", name);
        export_opts_t o = { 0, -1, NULL, false };
        code = export_text(m, &o, stdout, err, sizeof err) ? 0 : 4;
    } else {
        viewer_t *v = viewer_new(m);
        term_opts_t o = { ascii || !locale_utf8(), color };
        int r = term_run(v, &o, err, sizeof err);
        viewer_free(v);
        if (r < 0)
            fprintf(stderr, "ksim: %s\n", err);
        code = r < 0 ? 4 : r > 0 ? 128 + r : 0;
    }
    model_free(m);
    return code;
}

int cmd_view(int argc, char **argv)
{
    const char *path = NULL;
    bool ascii = false, color = !(getenv("NO_COLOR") && getenv("NO_COLOR")[0]);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_view, stdout);
            return 0;
        } else if (strcmp(argv[i], "--ascii") == 0) {
            ascii = true;
        } else if (strcmp(argv[i], "--no-color") == 0) {
            color = false;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ksim: unknown option '%s'\ntry 'ksim view --help'\n", argv[i]);
            return 2;
        } else if (path) {
            fprintf(stderr, "ksim: view takes one trace file, got '%s' too\n"
                            "try 'ksim view --help'\n", argv[i]);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fputs("ksim: view needs a trace file (ksim run FILE.lua --trace OUT.jsonl writes one)\n"
              "try 'ksim view --help'\n", stderr);
        return 2;
    }
    struct stat st;
    FILE *f = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "r") : NULL;
    if (!f) {
        fprintf(stderr, "ksim: cannot read %s: %s\n", path,
                errno && stat(path, &st) != 0 ? strerror(errno) : "not a regular file");
        return 2;
    }
    int code = cmd_view_stream(f, path, ascii, color);
    fclose(f);
    return code;
}
