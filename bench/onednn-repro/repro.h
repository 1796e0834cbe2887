/*
 * Shared helpers for the oneDNN reproducers: one f32 forward-inference convolution through the C API
 * (dnnl.h), a plain C reference convolution with double accumulation, and the comparison of the two.
 *
 * Each reproducer runs one (case, variant) per process, so that a crash in oneDNN is seen by the caller as
 * a signal; run.sh does that for every case at several OMP_NUM_THREADS values.
 */
#ifndef REPRO_H
#define REPRO_H

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

/* One 2-D convolution; every dilation is counted the way oneDNN counts it (0 = dense kernel). */
typedef struct {
    int nhwc;           /* src and dst layout: 1 = dnnl_nhwc, 0 = dnnl_nchw */
    int mb, ic, ih, iw; /* src dims N, C, H, W */
    int oc, g;          /* output channels, groups (g == ic == oc is depthwise) */
    int kh, kw;         /* kernel height, width */
    int sh, sw;         /* strides */
    int dh, dw;         /* dilations, oneDNN style */
    int pt, pb, pl, pr; /* padding top, bottom, left, right */
} conv_t;

/* What to compute, and how to ask oneDNN for it. */
typedef struct {
    int bias, relu; /* the wanted result: dst = conv(src, w) [+ bias] [then ReLU] */
    int fuse;       /* 1: bias and ReLU go into the primitive (bias arg, eltwise post-op); 0: added in C */
    int plain;      /* 1: weights as hwio (nhwc) or oihw (nchw), grouped alike; 0: format_tag any */
} how_t;

/* Exit codes of a reproducer process (a crash shows up as a signal instead). */
enum { EXIT_OK = 0, EXIT_WRONG = 1, EXIT_DNNL_ERROR = 2, EXIT_NOT_APPLICABLE = 3 };

#define CHECK(call) \
    do { \
        dnnl_status_t s_ = (call); \
        if (s_ != dnnl_success) { \
            printf("oneDNN error: %s returned %s\n", #call, dnnl_status2str(s_)); \
            exit(EXIT_DNNL_ERROR); \
        } \
    } while (0)

static int out_size(int in, int k, int s, int d, int pad0, int pad1) {
    int extent = (k - 1) * (d + 1) + 1; /* the dilated kernel */
    return (in + pad0 + pad1 - extent) / s + 1;
}
static int conv_oh(const conv_t *c) { return out_size(c->ih, c->kh, c->sh, c->dh, c->pt, c->pb); }
static int conv_ow(const conv_t *c) { return out_size(c->iw, c->kw, c->sw, c->dw, c->pl, c->pr); }

static void print_conv(FILE *f, const conv_t *c) {
    fprintf(f, "%s src N,C,H,W=%d,%d,%d,%d weights O,I,H,W=%d,%d,%d,%d groups=%d stride=%d,%d dilate=%d,%d"
               " pad t,b,l,r=%d,%d,%d,%d -> dst H,W=%d,%d",
            c->nhwc ? "nhwc" : "nchw", c->mb, c->ic, c->ih, c->iw, c->oc, c->ic / c->g, c->kh, c->kw, c->g,
            c->sh, c->sw, c->dh, c->dw, c->pt, c->pb, c->pl, c->pr, conv_oh(c), conv_ow(c));
}

/* Offset of element (n, ch, h, w) in a src or dst tensor of C channels, H x W, in the case's layout. */
static size_t at(const conv_t *c, int n, int ch, int h, int w, int C, int H, int W) {
    return c->nhwc ? (((size_t)n * H + h) * W + w) * C + ch : (((size_t)n * C + ch) * H + h) * W + w;
}

/* Weights are always held as goihw: [g][oc/g][ic/g][kh][kw] (the same bytes as oihw when g == 1). */
static size_t wat(const conv_t *c, int oc, int icg, int y, int x) {
    return (((size_t)oc * (c->ic / c->g) + icg) * c->kh + y) * c->kw + x;
}

/* Deterministic values in [-1, 1). */
static void fill(float *p, size_t n, unsigned seed) {
    unsigned s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        p[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

/* The reference: dst = conv(src, w) [+ bias] [ReLU], accumulated in double. */
static void reference(const conv_t *c, const how_t *h, const float *src, const float *wei, const float *bias,
                      float *dst) {
    int oh = conv_oh(c), ow = conv_ow(c), icg = c->ic / c->g, ocg = c->oc / c->g;
    for (int n = 0; n < c->mb; n++)
        for (int o = 0; o < c->oc; o++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++) {
                    double acc = h->bias ? bias[o] : 0.0;
                    for (int i = 0; i < icg; i++)
                        for (int ky = 0; ky < c->kh; ky++)
                            for (int kx = 0; kx < c->kw; kx++) {
                                int iy = y * c->sh - c->pt + ky * (c->dh + 1);
                                int ix = x * c->sw - c->pl + kx * (c->dw + 1);
                                if (iy < 0 || iy >= c->ih || ix < 0 || ix >= c->iw) continue;
                                int ich = (o / ocg) * icg + i;
                                acc += (double)src[at(c, n, ich, iy, ix, c->ic, c->ih, c->iw)]
                                        * wei[wat(c, o, i, ky, kx)];
                            }
                    if (h->relu && acc < 0) acc = 0;
                    dst[at(c, n, o, y, x, c->oc, oh, ow)] = (float)acc;
                }
}

static dnnl_memory_desc_t md(int ndims, const dnnl_dim_t *dims, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t d;
    CHECK(dnnl_memory_desc_create_with_tag(&d, ndims, dims, dnnl_f32, tag));
    return d;
}

/*
 * Runs the convolution through oneDNN and writes dst (dims N, OC, OH, OW in the case's layout). Prints the
 * implementation name first, flushed, so that it is on record even if the execution crashes.
 */
static void run_onednn(const conv_t *c, const how_t *h, const float *src, const float *wei, const float *bias,
                       float *dst) {
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));

    dnnl_format_tag_t act = c->nhwc ? dnnl_nhwc : dnnl_nchw;
    dnnl_dims_t sdims = {c->mb, c->ic, c->ih, c->iw}, ddims = {c->mb, c->oc, conv_oh(c), conv_ow(c)};
    dnnl_dims_t wdims = {c->g, c->oc / c->g, c->ic / c->g, c->kh, c->kw}, bdims = {c->oc};
    int wnd = c->g == 1 ? 4 : 5;
    const int64_t *wd = c->g == 1 ? wdims + 1 : wdims; /* g == 1: plain oihw, no group dim */
    dnnl_memory_desc_t src_md = md(4, sdims, act), dst_md = md(4, ddims, act);
    dnnl_memory_desc_t user_w_md = md(wnd, wd, c->g == 1 ? dnnl_oihw : dnnl_goihw);
    /* plain weights: the layout that goes with the activations (hwio for nhwc, oihw for nchw) */
    dnnl_format_tag_t plain = c->nhwc ? (c->g == 1 ? dnnl_hwio : dnnl_hwigo) : (c->g == 1 ? dnnl_oihw : dnnl_goihw);
    dnnl_memory_desc_t conv_w_md = md(wnd, wd, h->plain ? plain : dnnl_format_tag_any);
    dnnl_memory_desc_t bias_md = h->fuse && h->bias ? md(1, bdims, dnnl_x) : NULL;

    dnnl_primitive_attr_t attr;
    CHECK(dnnl_primitive_attr_create(&attr));
    if (h->fuse && h->relu) {
        dnnl_post_ops_t ops;
        CHECK(dnnl_post_ops_create(&ops));
        CHECK(dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0.f, 0.f));
        CHECK(dnnl_primitive_attr_set_post_ops(attr, ops));
        dnnl_post_ops_destroy(ops);
    }

    dnnl_dims_t strides = {c->sh, c->sw}, dilates = {c->dh, c->dw}, pad_l = {c->pt, c->pl}, pad_r = {c->pb, c->pr};
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_convolution_forward_primitive_desc_create(&pd, eng, dnnl_forward_inference, dnnl_convolution_direct,
                                                         src_md, conv_w_md, bias_md, dst_md, strides, dilates,
                                                         pad_l, pad_r, attr));
    const char *impl = NULL;
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    printf("%s -> ", impl);
    fflush(stdout);

    /* weights from goihw into the layout the primitive chose (a plain copy when they are the same) */
    const_dnnl_memory_desc_t w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    void *w_buf = aligned_alloc(64, (dnnl_memory_desc_get_size(w_md) + 63) / 64 * 64);
    dnnl_memory_t user_w, conv_w;
    CHECK(dnnl_memory_create(&user_w, user_w_md, eng, (void *)wei));
    CHECK(dnnl_memory_create(&conv_w, w_md, eng, w_buf));
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t reorder;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, user_w_md, eng, w_md, eng, NULL));
    CHECK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[] = {{DNNL_ARG_FROM, user_w}, {DNNL_ARG_TO, conv_w}};
    CHECK(dnnl_primitive_execute(reorder, strm, 2, rargs));
    CHECK(dnnl_stream_wait(strm));

    dnnl_memory_t src_m, dst_m, bias_m = NULL;
    CHECK(dnnl_memory_create(&src_m, src_md, eng, (void *)src));
    CHECK(dnnl_memory_create(&dst_m, dst_md, eng, dst));
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, conv_w}, {DNNL_ARG_DST, dst_m}};
    int nargs = 3;
    if (bias_md) {
        CHECK(dnnl_memory_create(&bias_m, bias_md, eng, (void *)bias));
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, bias_m};
    }
    dnnl_primitive_t conv;
    CHECK(dnnl_primitive_create(&conv, pd));
    CHECK(dnnl_primitive_execute(conv, strm, nargs, args));
    CHECK(dnnl_stream_wait(strm));

    dnnl_primitive_destroy(conv);
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(src_m);
    dnnl_memory_destroy(dst_m);
    dnnl_memory_destroy(user_w);
    dnnl_memory_destroy(conv_w);
    if (bias_m) dnnl_memory_destroy(bias_m);
    free(w_buf);
    dnnl_primitive_attr_destroy(attr);
    dnnl_memory_desc_destroy(src_md);
    dnnl_memory_desc_destroy(dst_md);
    dnnl_memory_desc_destroy(user_w_md);
    dnnl_memory_desc_destroy(conv_w_md);
    if (bias_md) dnnl_memory_desc_destroy(bias_md);
    dnnl_stream_destroy(strm);
    dnnl_engine_destroy(eng);
}

/*
 * Runs one case through oneDNN and the reference, prints "ok" or "wrong: ..." and returns EXIT_OK or
 * EXIT_WRONG. Without fuse, bias and ReLU are applied here in C after oneDNN (the workaround).
 */
static int check_case(const conv_t *c, const how_t *h) {
    int oh = conv_oh(c), ow = conv_ow(c);
    size_t ns = (size_t)c->mb * c->ic * c->ih * c->iw, nw = (size_t)c->oc * (c->ic / c->g) * c->kh * c->kw;
    size_t nd = (size_t)c->mb * c->oc * oh * ow;
    float *src = malloc(ns * sizeof(float)), *wei = malloc(nw * sizeof(float));
    float *bias = malloc(c->oc * sizeof(float));
    float *dst = malloc(nd * sizeof(float)), *want = malloc(nd * sizeof(float));
    fill(src, ns, 1);
    fill(wei, nw, 2);
    fill(bias, c->oc, 3);
    for (size_t i = 0; i < nd; i++) dst[i] = NAN; /* an output oneDNN never writes shows up as wrong */

    run_onednn(c, h, src, wei, bias, dst);
    if (!h->fuse) {
        for (int n = 0; n < c->mb; n++)
            for (int o = 0; o < c->oc; o++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++) {
                        float *v = &dst[at(c, n, o, y, x, c->oc, oh, ow)];
                        if (h->bias) *v += bias[o];
                        if (h->relu && *v < 0) *v = 0;
                    }
    }
    reference(c, h, src, wei, bias, want);

    /* f32 accumulation of at most a few hundred products of values in [-1, 1) stays far below 1e-4 */
    double worst = 0;
    size_t worst_i = 0;
    for (size_t i = 0; i < nd; i++) {
        double e = isnan(dst[i]) ? INFINITY : fabs((double)dst[i] - want[i]);
        if (e > worst) worst = e, worst_i = i;
    }
    int wrong = worst > 1e-4;
    if (wrong) {
        /* decode the flat index back to n, c, h, w */
        size_t i = worst_i;
        int n, o, y, x;
        if (c->nhwc) {
            o = i % c->oc, i /= c->oc, x = i % ow, i /= ow, y = i % oh, n = (int)(i / oh);
        } else {
            x = i % ow, i /= ow, y = i % oh, i /= oh, o = i % c->oc, n = (int)(i / c->oc);
        }
        printf("wrong: max abs err %.3g at n,c,h,w=%d,%d,%d,%d (got %g, want %g)\n", worst, n, o, y, x,
               dst[worst_i], want[worst_i]);
    } else {
        printf("ok (max abs err %.2g)\n", worst);
    }
    free(src), free(wei), free(bias), free(dst), free(want);
    return wrong ? EXIT_WRONG : EXIT_OK;
}

/* ---- for the search modes: random specs, each run in a forked child ---- */

static unsigned rng_state = 1;
static int rnd(int n) { /* in [0, n) */
    rng_state = rng_state * 1103515245u + 12345u;
    return (int)((rng_state >> 8) % (unsigned)n);
}

/*
 * Runs check_case in a child process with `threads` OpenMP threads, its output discarded, and describes the
 * outcome: "ok", "wrong", "error" or "signal N". The parent must not have used OpenMP or oneDNN before (a
 * forked OpenMP runtime does not work), so only children touch them.
 */
static const char *run_child(const conv_t *c, const how_t *h, int threads, char buf[16]) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(EXIT_DNNL_ERROR);
        alarm(60);
        omp_set_num_threads(threads); /* oneDNN reads it when the primitive is created */
        _exit(check_case(c, h));
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) {
        snprintf(buf, 16, "signal %d", WTERMSIG(st));
        return buf;
    }
    return WEXITSTATUS(st) == EXIT_OK ? "ok" : WEXITSTATUS(st) == EXIT_WRONG ? "wrong" : "error";
}

static void print_version(void) {
    const dnnl_version_t *v = dnnl_version();
    printf("oneDNN %d.%d.%d (commit %s), cpu runtime %s\n", v->major, v->minor, v->patch, v->hash,
           v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other");
}

#endif
