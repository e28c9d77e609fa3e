/* chart: the comparison as SVG (see chart.h). 1600 px wide for a 16:9 slide: a title,
 * the legend of strategies, four panels in a 2 x 2 grid, and the list of steps. Fonts
 * are 16 px and up (13 px for a value too wide for its bar at 16), colours are the
 * Okabe-Ito palette (told apart by colour-blind readers too), and every bar carries its
 * value unless the bars are too thin for one. */
#include "chart.h"

#include <string.h>

#include "../util/utf8.h"

#define WIDTH 1600
#define MARGIN 40
#define TITLE_H 60
#define LEGEND_H 44
#define PANEL_W ((WIDTH - 3 * MARGIN) / 2)
#define PANEL_H 380
#define AXIS_W 64   /* y-axis labels */
#define PANEL_TOP 60 /* the panel's title, and room for the values of the tallest bars */
#define PANEL_BOTTOM 34 /* x-axis labels */
#define KEY_ROW 28
#define KEY_CHARS 64

static const char *const colours[] = { "#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                       "#D55E00", "#56B4E9", "#F0E442", "#000000" };
#define NCOLOURS ((int32_t)(sizeof colours / sizeof colours[0]))

typedef struct panel {
    const char *title;
    int metric; /* COMPARE_MOVED ...; its name is the tooltips' unit */
} panel_t;

static const panel_t panels[] = {
    { "Partitions moved", COMPARE_MOVED },
    { "Partitions revoked", COMPARE_REVOKED },
    { "Spread (max - min partitions per member)", COMPARE_SPREAD },
    { "Rebalance rounds", COMPARE_ROUNDS },
};

/* XML text: markup escaped; invalid UTF-8 and control characters replaced. At most
 * `max` characters (then "…"), or all with max < 0. */
static void xml_text(FILE *out, const char *s, int max)
{
    size_t len = strlen(s);
    int chars = 0;
    for (size_t i = 0; i < len; chars++) {
        if (max >= 0 && chars == max) {
            fputs("…", out);
            return;
        }
        size_t n = utf8_seq((const unsigned char *)s + i, len - i);
        unsigned char c = (unsigned char)s[i];
        if (n == 0)
            fputs("\xEF\xBF\xBD", out);
        else if (c == '&')
            fputs("&amp;", out);
        else if (c == '<')
            fputs("&lt;", out);
        else if (c == '>')
            fputs("&gt;", out);
        else if (c == '"')
            fputs("&quot;", out);
        else if (c < 0x20)
            fputc(' ', out);
        else
            fwrite(s + i, 1, n, out);
        i += n ? n : 1;
    }
}

/* The axis top and tick step: 1, 2 or 5 times a power of ten, at most 5 ticks. */
static int64_t nice_step(int64_t max)
{
    static const int factors[] = { 1, 2, 5 };
    for (int64_t power = 1;; power *= 10)
        for (int i = 0; i < 3; i++)
            if (power * factors[i] * 5 >= max)
                return power * factors[i];
}

static int64_t panel_max(const chart_t *c, const panel_t *p)
{
    int64_t max = 0;
    for (int32_t s = 0; s < c->r->nsteps; s++)
        for (int32_t k = 0; k < c->nstrategies; k++) {
            int64_t v = compare_metric(compare_at(c->r, s, k), p->metric);
            max = v > max ? v : max;
        }
    return max;
}

static void axis(FILE *out, int x0, int y0, int w, int h, int64_t step, int64_t top)
{
    for (int64_t v = 0; v <= top; v += step) {
        int y = y0 + h - (int)(v * h / top);
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"grid\"/>\n", x0, y,
                x0 + w, y);
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">%lld</text>\n",
                x0 - 8, y + 6, (long long)v);
    }
}

static int digits(int64_t v)
{
    int n = 1;
    for (; v >= 10; v /= 10)
        n++;
    return n;
}

static void bar(FILE *out, const chart_t *c, const panel_t *p, int32_t s, int32_t k, int x,
                int bw, int base, int h, int64_t top)
{
    int64_t v = compare_metric(compare_at(c->r, s, k), p->metric);
    int bh = (int)(v * h / top);
    char buf[64];
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>", x,
            base - bh, bw, bh, colours[k % NCOLOURS]);
    xml_text(out, compare_strategy_name(&c->strategies[k], buf, sizeof buf), -1);
    fprintf(out, ", step %d: %lld %s</title></rect>\n", c->first_step + s, (long long)v,
            compare_metric_names[p->metric]);
    /* About 10 px a digit at 16 px, 8 at 13 px; a value wider than its bar is left out. */
    const char *size = 10 * digits(v) <= bw + 2 ? "value" : 8 * digits(v) <= bw + 4 ? "small"
                                                                                      : NULL;
    if (size)
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"%s\" text-anchor=\"middle\">%lld"
                     "</text>\n", x + bw / 2, base - bh - 6, size, (long long)v);
}

static void panel(FILE *out, const chart_t *c, const panel_t *p, int px, int py)
{
    int x0 = px + AXIS_W, y0 = py + PANEL_TOP;
    int w = PANEL_W - AXIS_W, h = PANEL_H - PANEL_TOP - PANEL_BOTTOM;
    int64_t step = nice_step(panel_max(c, p) > 0 ? panel_max(c, p) : 1);
    int64_t top = step * ((panel_max(c, p) + step - 1) / step);
    top = top > 0 ? top : step;
    fprintf(out, "<g>\n<text x=\"%d\" y=\"%d\" class=\"panel\">", px, py + 28);
    xml_text(out, p->title, -1);
    fputs("</text>\n", out);
    axis(out, x0, y0, w, h, step, top);
    int32_t ns = c->r->nsteps, nk = c->nstrategies;
    int gw = w / (ns > 0 ? ns : 1), bw = gw * 8 / 10 / (nk > 0 ? nk : 1);
    for (int32_t s = 0; s < ns; s++) {
        int gx = x0 + s * gw + (gw - bw * nk) / 2;
        for (int32_t k = 0; k < nk; k++)
            bar(out, c, p, s, k, gx + k * bw, bw > 2 ? bw - 2 : 1, y0 + h, h, top);
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s%d"
                     "</text>\n", x0 + s * gw + gw / 2, y0 + h + 26, gw >= 70 ? "step " : "",
                c->first_step + s);
    }
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n</g>\n", x0,
            y0 + h, x0 + w, y0 + h);
}

static void legend(FILE *out, const chart_t *c, int y)
{
    int x = MARGIN;
    for (int32_t k = 0; k < c->nstrategies; k++) {
        char buf[64];
        const char *name = compare_strategy_name(&c->strategies[k], buf, sizeof buf);
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"22\" height=\"22\" fill=\"%s\"/>\n", x,
                y - 18, colours[k % NCOLOURS]);
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"legend\">", x + 30, y);
        xml_text(out, name, -1);
        fprintf(out, " (%s)</text>\n", compare_protocol_name(c->strategies[k].protocol));
        size_t chars = strlen(name) + strlen(compare_protocol_name(c->strategies[k].protocol));
        x += 30 + 12 * (int)chars + 60;
    }
}

/* The steps, two columns of "step N: label". */
static void key(FILE *out, const chart_t *c, int y)
{
    int32_t ns = c->r->nsteps, rows = (ns + 1) / 2;
    for (int32_t s = 0; s < ns; s++) {
        char label[300];
        int col = s / (rows > 0 ? rows : 1), row = s % (rows > 0 ? rows : 1);
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"key\">step %d: ",
                MARGIN + col * (PANEL_W + MARGIN), y + row * KEY_ROW, c->first_step + s);
        xml_text(out, compare_describe_step(c->h, s, label, sizeof label), KEY_CHARS);
        fputs("</text>\n", out);
    }
}

bool chart_svg(FILE *out, const chart_t *c)
{
    int32_t rows = (c->r->nsteps + 1) / 2;
    int panels_top = TITLE_H + LEGEND_H;
    int key_top = panels_top + 2 * PANEL_H + MARGIN;
    int height = key_top + rows * KEY_ROW + MARGIN / 2;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n",
            WIDTH, height, WIDTH, height);
    fputs("<style>text{fill:#222}.title{font-size:32px;font-weight:bold}"
          ".panel{font-size:24px;font-weight:bold}.legend{font-size:22px}"
          ".tick{font-size:18px;fill:#444}.value{font-size:16px}.small{font-size:13px}"
          ".key{font-size:18px}"
          ".grid{stroke:#ddd;stroke-width:1}.axis{stroke:#222;stroke-width:2}</style>\n"
          "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", out);
    fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"title\">Assignors compared: ", MARGIN, 44);
    xml_text(out, c->title ? c->title : "a history", 80);
    fputs("</text>\n", out);
    legend(out, c, TITLE_H + 28);
    for (int i = 0; i < 4; i++)
        panel(out, c, &panels[i], MARGIN + (i % 2) * (PANEL_W + MARGIN),
              panels_top + (i / 2) * PANEL_H);
    key(out, c, key_top);
    fputs("</svg>\n", out);
    return !ferror(out) && fflush(out) == 0;
}
