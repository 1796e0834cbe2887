/*
 * oneDNN 3.11, brg_conv_fwd:avx512_core, f32 forward inference, weights format_tag any: wrong results (no
 * error) when the output has one column (ow == 1) reached with stride_w > 1, each group has one input
 * channel (ic / groups == 1), kw > 1, no width dilation, stride_h == 1 and oh > 1.
 *
 *   bug2_ow1_stride                  list the cases
 *   bug2_ow1_stride CASE any         the failing primitive: weights format_tag any (wrong results)
 *   bug2_ow1_stride CASE stride1     workaround 1: stride_w = 1 and pad_r shrunk so that ow stays 1
 *   bug2_ow1_stride CASE plain       workaround 2: plain weights, hwio (nhwc) or oihw (nchw), not any
 *   bug2_ow1_stride search [N] [SEED]  try N random specs with ow == 1, each in a child
 *
 * Threads: oneDNN takes OpenMP's thread count when the primitive is created; set OMP_NUM_THREADS.
 */
#include "repro.h"

typedef struct {
    conv_t c;
    const char *note;
} case_t;

static const case_t cases[] = {
    /* nhwc mb ic ih iw oc g kh kw sh sw dh dw pt pb pl pr */
    {{0, 2, 1, 2, 2, 2, 1, 5, 5, 1, 4, 1, 0, 4, 4, 2, 1}, "ic=1, 5x5 kernel, height dilation, batch 2"},
    {{1, 1, 1, 5, 2, 4, 1, 3, 3, 1, 2, 0, 0, 1, 1, 1, 0}, "ic=1, 3x3 kernel, batch 1"},
    {{1, 1, 1, 32, 2, 4, 1, 3, 3, 1, 2, 0, 0, 1, 1, 1, 0}, "ic=1, 3x3 kernel, batch 1, 32 rows"},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* Workaround 1: the same single output column with stride_w = 1; returns 0 when pad_r would go negative. */
static int with_stride1(conv_t *c) {
    int pr = (c->kw - 1) * (c->dw + 1) + 1 - c->iw - c->pl; /* ow = iw + pl + pr - extent + 1 = 1 */
    if (pr < 0) return 0;
    c->sw = 1, c->pr = pr;
    return 1;
}

/* The condition under which wrong results were seen (any thread count). */
static int meets_condition(const conv_t *c) {
    return conv_ow(c) == 1 && c->sw > 1 && c->ic / c->g == 1 && c->kw > 1 && c->dw == 0 && c->sh == 1
           && conv_oh(c) > 1;
}

/* ---- search: random specs with one output column, each run in a child per thread count ---- */

static conv_t random_conv(void) {
    for (;;) {
        conv_t c = {0};
        c.nhwc = rnd(2);
        c.mb = 1 + rnd(2), c.ic = 1 + rnd(2), c.g = rnd(3) == 0 ? c.ic : 1, c.oc = c.g * (1 + rnd(4));
        c.ih = 1 + rnd(12), c.iw = 1 + rnd(6);
        c.kh = 1 + rnd(5), c.kw = 1 + rnd(5), c.sh = 1 + rnd(2), c.sw = 1 + rnd(4);
        c.dh = rnd(2), c.dw = rnd(4) == 0;
        int ekh = (c.kh - 1) * (c.dh + 1) + 1, ekw = (c.kw - 1) * (c.dw + 1) + 1;
        c.pt = rnd(ekh), c.pb = rnd(ekh), c.pl = rnd(ekw);
        c.pr = ekw - c.iw - c.pl + rnd(c.sw); /* so that ow == 1 */
        if (c.pr >= 0 && c.pr < ekw && conv_oh(&c) >= 1 && conv_ow(&c) == 1) return c;
    }
}

static void search(int tries, unsigned seed) {
    static const int threads[] = {1, 2, 8, 16};
    int specs[2] = {0}, bad[2][4] = {{0}}; /* [meets the condition?][thread count index] */
    rng_state = seed;
    print_version();
    printf("%d random specs (seed %u) with ow == 1, weights format any; those that fail, as cases[] rows:\n",
           tries, seed);
    for (int t = 0; t < tries; t++) {
        conv_t c = random_conv();
        how_t h = {0};
        int meets = meets_condition(&c), failed = 0;
        char line[160] = "", buf[16];
        specs[meets]++;
        for (int k = 0; k < 4; k++) {
            const char *r = run_child(&c, &h, threads[k], buf);
            if (strcmp(r, "ok") != 0) failed = 1, bad[meets][k]++;
            snprintf(line + strlen(line), sizeof line - strlen(line), " %d:%s", threads[k], r);
        }
        if (failed)
            printf("{{%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d}, \"\"}, /*%s%s */\n",
                   c.nhwc, c.mb, c.ic, c.ih, c.iw, c.oc, c.g, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.pt, c.pb, c.pl,
                   c.pr, line, meets ? "" : ", outside the condition");
    }
    for (int m = 1; m >= 0; m--)
        printf("%s the condition: %d specs, failed at 1/2/8/16 threads: %d/%d/%d/%d\n", m ? "meet" : "outside",
               specs[m], bad[m][0], bad[m][1], bad[m][2], bad[m][3]);
}

static void list(void) {
    print_version();
    for (int i = 0; i < NCASES; i++) {
        printf("%d\t", i + 1);
        print_conv(stdout, &cases[i].c);
        printf("; %s\n", cases[i].note);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        list();
        return 0;
    }
    if (strcmp(argv[1], "variants") == 0) {
        printf("any stride1 plain\n");
        return 0;
    }
    if (strcmp(argv[1], "search") == 0) {
        search(argc > 2 ? atoi(argv[2]) : 200, argc > 3 ? (unsigned)atoi(argv[3]) : 1);
        return 0;
    }
    int k = atoi(argv[1]);
    const char *v = argc > 2 ? argv[2] : "any";
    int any = strcmp(v, "any") == 0, stride1 = strcmp(v, "stride1") == 0, plain = strcmp(v, "plain") == 0;
    if (k < 1 || k > NCASES || !(any || stride1 || plain)) {
        fprintf(stderr, "usage: %s [CASE any|stride1|plain | search [N] [SEED]]; cases 1..%d\n", argv[0], NCASES);
        return 64;
    }
    conv_t c = cases[k - 1].c;
    if (stride1 && !with_stride1(&c)) {
        printf("n/a: pad_r would be negative with stride_w = 1\n");
        return EXIT_NOT_APPLICABLE;
    }
    how_t h = {.plain = plain};
    return check_case(&c, &h);
}
