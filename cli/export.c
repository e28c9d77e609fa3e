/* export: `ksim export TRACE.jsonl --svg OUT.svg | --mermaid OUT.mmd | --text`, the
 * sequence diagram of a saved trace for slides and documents (tui/export.h). */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tui/export.h"
#include "../tui/model.h"
#include "commands.h"

static const char *usage_export =
    "usage: ksim export TRACE.jsonl (--svg OUT.svg | --mermaid OUT.mmd | --text) [OPTIONS]\n"
    "\n"
    "Writes a trace (from `ksim run --trace`) as a sequence diagram: SVG for slides and\n"
    "handouts, Mermaid `sequenceDiagram` text for Markdown, or the text timeline that\n"
    "`ksim run` prints. OUT may be '-' for the standard output; --text always writes there.\n"
    "\n"
    "options:\n"
    "  --svg OUT.svg        write an SVG image\n"
    "  --mermaid OUT.mmd    write Mermaid text\n"
    "  --text               print the text timeline\n"
    "  --from MS            leave out events before MS milliseconds of virtual time\n"
    "  --to MS              leave out events after MS milliseconds\n"
    "  --nodes A,B          only events that involve these nodes (names or prefixes)\n"
    "  --all                SVG and Mermaid: background traffic too (heartbeats, idle\n"
    "                       fetches), which is left out by default as in the viewer\n"
    "  --help               this help\n"
    "\n"
    "exit codes: 0 ok, 1 the trace is not valid, 2 usage error (also: cannot read the\n"
    "            trace, --nodes names no node), 4 I/O error (cannot write OUT)\n";

enum { FMT_NONE, FMT_SVG, FMT_MERMAID, FMT_TEXT };

typedef struct export_cli {
    const char *trace, *out, *nodes;
    int format;
    export_opts_t opts;
} export_cli_t;

static int usage(const char *fmt, const char *arg)
{
    fputs("ksim: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\ntry 'ksim export --help'\n", stderr);
    return 2;
}

static bool parse_ms(const char *s, int64_t *us)
{
    char *end;
    double ms = strtod(s, &end);
    if (end == s || *end || !(ms >= 0) || ms > 9.2e12)
        return false;
    *us = (int64_t)(ms * 1000.0 + 0.5);
    return true;
}

static int set_format(export_cli_t *c, int format, const char *name)
{
    if (c->format != FMT_NONE)
        return usage("choose one of --svg, --mermaid, --text (got %s too)", name);
    c->format = format;
    return -1;
}

/* One option, with its value from `val` or the next argument. -1: go on. */
static int parse_option(export_cli_t *c, const char *name, const char *val)
{
    if (strcmp(name, "--svg") == 0 || strcmp(name, "--mermaid") == 0) {
        c->out = val;
        return set_format(c, name[2] == 's' ? FMT_SVG : FMT_MERMAID, name);
    }
    if (strcmp(name, "--from") == 0 && !parse_ms(val, &c->opts.from))
        return usage("--from needs a time in milliseconds >= 0, got '%s'", val);
    if (strcmp(name, "--to") == 0 && !parse_ms(val, &c->opts.to))
        return usage("--to needs a time in milliseconds >= 0, got '%s'", val);
    if (strcmp(name, "--nodes") == 0)
        c->opts.nodes = val;
    return -1;
}

static int parse_args(export_cli_t *c, int argc, char **argv)
{
    static const char *const with_value[] = { "--svg", "--mermaid", "--from", "--to", "--nodes" };
    for (int i = 0; i < argc; i++) {
        char name[32], *a = argv[i], *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        if (a[0] != '-' || !a[1]) {
            if (c->trace)
                return usage("export takes one trace file, got '%s' too", a);
            c->trace = a;
            continue;
        }
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), a);
        if (strcmp(name, "--help") == 0 && !eq) {
            fputs(usage_export, stdout);
            return 0;
        }
        if (strcmp(name, "--text") == 0 && !eq) {
            int r = set_format(c, FMT_TEXT, name);
            if (r >= 0)
                return r;
            continue;
        }
        if (strcmp(name, "--all") == 0 && !eq) {
            c->opts.all = true;
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            known = known || strcmp(name, with_value[k]) == 0;
        if (!known)
            return usage("unknown option '%s'", a);
        const char *val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!val || !*val)
            return usage("option '%s' needs a value", name);
        int r = parse_option(c, name, val);
        if (r >= 0)
            return r;
    }
    if (!c->trace)
        return usage("export needs a trace file%s", "");
    if (c->format == FMT_NONE)
        return usage("choose what to write: --svg OUT.svg, --mermaid OUT.mmd or --text%s", "");
    if (c->format == FMT_TEXT && c->opts.all)
        return usage("--all is for --svg and --mermaid: --text is the timeline `ksim run` "
                     "printed, which leaves background traffic out%s", "");
    return -1;
}

/* Widths of wide characters must not depend on the user's locale: same trace, same SVG
 * (and only LC_CTYPE changes: numbers keep their '.'). */
static void utf8_ctype(void)
{
    setlocale(LC_CTYPE, "");
    const char *cs = nl_langinfo(CODESET);
    if (!cs || strcmp(cs, "UTF-8") != 0)
        setlocale(LC_CTYPE, "C.UTF-8");
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int write_out(export_cli_t *c, model_t *m)
{
    char err[512];
    bool to_stdout = c->format == FMT_TEXT || strcmp(c->out, "-") == 0;
    FILE *out = to_stdout ? stdout : fopen(c->out, "w");
    if (!out) {
        fprintf(stderr, "ksim: cannot write %s: %s\n", c->out, strerror(errno));
        return 4;
    }
    bool ok = c->format == FMT_SVG       ? export_svg(m, &c->opts, out, err, sizeof err)
              : c->format == FMT_MERMAID ? export_mermaid(m, &c->opts, out, err, sizeof err)
                                         : export_text(m, &c->opts, out, err, sizeof err);
    bool nodes_error = !ok && strncmp(err, "--nodes", 7) == 0;
    if (!to_stdout && fclose(out) != 0 && ok) {
        ok = false;
        snprintf(err, sizeof err, "%s", strerror(errno));
    }
    if (ok)
        return 0;
    if (nodes_error)
        return usage("%s", err);
    fprintf(stderr, "ksim: error writing %s: %s\n", to_stdout ? "the standard output" : c->out,
            err);
    return 4;
}

int cmd_export(int argc, char **argv)
{
    export_cli_t c = { .opts = { 0, -1, NULL, false } };
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        return rc;
    if (c.out && strcmp(c.out, "-") != 0 && same_file(c.out, c.trace))
        return usage("%s is the trace itself (writing would overwrite it)", c.out);
    struct stat st;
    FILE *f = stat(c.trace, &st) == 0 && S_ISREG(st.st_mode) ? fopen(c.trace, "r") : NULL;
    if (!f) {
        fprintf(stderr, "ksim: cannot read %s: %s\n", c.trace,
                errno && stat(c.trace, &st) != 0 ? strerror(errno) : "not a regular file");
        return 2;
    }
    utf8_ctype();
    char err[1024];
    model_t *m = model_load(f, c.trace, NULL, NULL, err, sizeof err);
    if (!m) {
        fclose(f);
        fprintf(stderr, "ksim: %s\n", err);
        return 1;
    }
    rc = write_out(&c, m);
    model_free(m);
    fclose(f);
    return rc;
}
