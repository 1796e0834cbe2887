/*
 * oneDNN 3.11, brg_conv_fwd:avx512_core, f32 forward inference: SIGSEGV in
 * brgemm_convolution_fwd_t::perform_outwork when the primitive has a bias or a ReLU post-op and some output
 * column reads no input at all while not lying wholly in the left padding (its kernel taps all land in the
 * right padding, or a large dilation jumps over the input).
 *
 *   bug1_outwork_crash                  list the cases
 *   bug1_outwork_crash CASE fused       bias / ReLU inside the primitive (crashes)
 *   bug1_outwork_crash CASE after       the workaround: plain convolution, bias and ReLU added in C
 *   bug1_outwork_crash search [N] [SEED]  try N random specs that meet the condition, each in a child
 *
 * Threads: oneDNN takes OpenMP's thread count when the primitive is created; set OMP_NUM_THREADS.
 */
#include "repro.h"

typedef struct {
    conv_t c;
    int bias, relu;
    const char *note;
} case_t;

static const case_t cases[] = {
    /* nhwc mb ic ih iw oc g kh kw sh sw dh dw pt pb pl pr */
    {{1, 1, 5, 5, 2, 3, 1, 2, 1, 2, 4, 0, 2, 0, 0, 2, 3}, 1, 0,
     "every column blind: column 0 reads left padding only, column 1 right padding only"},
    {{1, 1, 4, 4, 2, 4, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1}, 1, 0,
     "1x1 kernel, right pad 1: the last of 3 columns reads padding only"},
    {{1, 1, 2, 2, 15, 3, 1, 1, 4, 3, 4, 1, 1, 0, 0, 0, 10}, 0, 1,
     "ReLU only: the last of 5 columns reads right padding only"},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* Whether some output column has every kernel tap outside the input, at least one of them past its right edge. */
static int has_blind_column(const conv_t *c) {
    for (int x = 0; x < conv_ow(c); x++) {
        int first = x * c->sw - c->pl, last = first + (c->kw - 1) * (c->dw + 1), hit = 0;
        for (int ix = first; ix <= last; ix += c->dw + 1) hit |= ix >= 0 && ix < c->iw;
        if (!hit && last >= c->iw) return 1;
    }
    return 0;
}

static int all_columns_blind(const conv_t *c) {
    for (int x = 0; x < conv_ow(c); x++)
        for (int kx = 0; kx < c->kw; kx++) {
            int ix = x * c->sw - c->pl + kx * (c->dw + 1);
            if (ix >= 0 && ix < c->iw) return 0;
        }
    return 1;
}

static void list(void) {
    print_version();
    for (int i = 0; i < NCASES; i++) {
        printf("%d\t", i + 1);
        print_conv(stdout, &cases[i].c);
        printf("%s%s; %s\n", cases[i].bias ? ", bias" : "", cases[i].relu ? ", relu" : "", cases[i].note);
    }
}

/* ---- search: random specs that meet the condition, each run in a child per thread count ---- */

static conv_t random_conv(void) {
    for (;;) {
        conv_t c = {0};
        c.nhwc = rnd(4) != 0;
        c.mb = 1 + rnd(2), c.ic = 1 + rnd(8), c.oc = 1 + rnd(8), c.g = 1;
        c.ih = 1 + rnd(6), c.iw = 1 + rnd(20);
        c.kh = 1 + rnd(3), c.kw = 1 + rnd(4), c.sh = 1 + rnd(3), c.sw = 1 + rnd(4);
        c.dh = rnd(3), c.dw = rnd(4);
        int ekh = (c.kh - 1) * (c.dh + 1) + 1, ekw = (c.kw - 1) * (c.dw + 1) + 1;
        c.pt = rnd(ekh), c.pb = rnd(ekh), c.pl = rnd(ekw + 1), c.pr = rnd(2 * ekw + 1);
        if (conv_oh(&c) >= 1 && conv_ow(&c) >= 1 && has_blind_column(&c)) return c;
    }
}

static void search(int tries, unsigned seed) {
    static const int threads[] = {1, 2, 8, 16};
    int specs[2] = {0}, bad[2][4] = {{0}}; /* [every column blind?][thread count index] */
    rng_state = seed;
    print_version();
    printf("%d random specs (seed %u) with bias and/or ReLU and a blind column not wholly in the left padding;"
           " those that fail, as cases[] rows:\n", tries, seed);
    for (int t = 0; t < tries; t++) {
        conv_t c = random_conv();
        how_t h = {.bias = rnd(3) != 0, .relu = rnd(2), .fuse = 1};
        if (!h.bias) h.relu = 1;
        int all = all_columns_blind(&c), failed = 0;
        char line[160] = "", buf[16];
        specs[all]++;
        for (int k = 0; k < 4; k++) {
            const char *r = run_child(&c, &h, threads[k], buf);
            if (strcmp(r, "ok") != 0) failed = 1, bad[all][k]++;
            snprintf(line + strlen(line), sizeof line - strlen(line), " %d:%s", threads[k], r);
        }
        if (failed)
            printf("{{%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d}, %d, %d}, /*%s%s */\n",
                   c.nhwc, c.mb, c.ic, c.ih, c.iw, c.oc, c.g, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.pt, c.pb, c.pl,
                   c.pr, h.bias, h.relu, line, all ? ", every column blind" : "");
    }
    for (int all = 1; all >= 0; all--)
        printf("%s column blind: %d specs, failed at 1/2/8/16 threads: %d/%d/%d/%d\n", all ? "every" : "some",
               specs[all], bad[all][0], bad[all][1], bad[all][2], bad[all][3]);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        list();
        return 0;
    }
    if (strcmp(argv[1], "variants") == 0) {
        printf("fused after\n");
        return 0;
    }
    if (strcmp(argv[1], "search") == 0) {
        search(argc > 2 ? atoi(argv[2]) : 200, argc > 3 ? (unsigned)atoi(argv[3]) : 1);
        return 0;
    }
    int k = atoi(argv[1]);
    const char *variant = argc > 2 ? argv[2] : "fused";
    if (k < 1 || k > NCASES || (strcmp(variant, "fused") != 0 && strcmp(variant, "after") != 0)) {
        fprintf(stderr, "usage: %s [CASE fused|after | search [N] [SEED]]; cases 1..%d\n", argv[0], NCASES);
        return 64;
    }
    const case_t *cs = &cases[k - 1];
    how_t h = {.bias = cs->bias, .relu = cs->relu, .fuse = strcmp(variant, "fused") == 0};
    return check_case(&cs->c, &h);
}
