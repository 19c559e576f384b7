/* lstm_kernels.c — the LSTM's elementwise work: gate nonlinearities with the
 * cell update, its backward step, and Adam; AVX2 + FMA when the CPU has
 * them, plain C otherwise.
 *
 * Why not libm: an LSTM step evaluates 5 exponentials per hidden unit and
 * row, and glibc's scalar tanhf/expf cost more than the step's matrix
 * product. exp here is Cephes' expf (range reduction by ln 2, a degree-5
 * polynomial; relative error about 1e-7), tanh below 0.625 in magnitude is
 * Cephes' odd polynomial (no cancellation near 0) and 2 / (1 + exp(-2x)) - 1
 * above. The scalar path evaluates the same formulas, so both agree to
 * rounding; both agree with libm to a few float ulps. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "predict/lstm_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LSTM_HAVE_AVX2_KERNEL 1
#include <immintrin.h>
#else
#define LSTM_HAVE_AVX2_KERNEL 0
#endif

/* Inputs beyond these saturate (exp would leave the normal float range). */
#define EXP_LOW -87.0f
#define EXP_HIGH 88.0f
#define TANH_POLYNOMIAL_LIMIT 0.625f

static const float exp_coefficients[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                          4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
static const float tanh_coefficients[5] = {-5.70498872745e-3f, 2.06390887954e-2f,
                                           -5.37397155531e-2f, 1.33314422036e-1f,
                                           -3.33332819422e-1f};
#define LN2_HIGH 0.693359375f
#define LN2_LOW -2.12194440e-4f
#define LOG2E 1.44269504088896341f

static float exp_scalar(float x)
{
    x = fminf(fmaxf(x, EXP_LOW), EXP_HIGH);
    float n = floorf(x * LOG2E + 0.5f);
    float r = x - n * LN2_HIGH - n * LN2_LOW;
    float p = exp_coefficients[0];
    for (int k = 1; k < 6; k++)
        p = p * r + exp_coefficients[k];
    float y = p * r * r + r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

static float sigmoid_scalar(float x) { return 1.0f / (1.0f + exp_scalar(-x)); }

static float tanh_scalar(float x)
{
    if (fabsf(x) < TANH_POLYNOMIAL_LIMIT) {
        float z = x * x, p = tanh_coefficients[0];
        for (int k = 1; k < 5; k++)
            p = p * z + tanh_coefficients[k];
        return p * z * x + x;
    }
    return 2.0f / (1.0f + exp_scalar(-2.0f * x)) - 1.0f;
}

static void cell_forward_scalar(int H, float *g, const float *cell_previous, float *cell,
                                float *cell_tanh, float *hidden)
{
    for (int j = 0; j < H; j++) {
        float i = sigmoid_scalar(g[j]), f = sigmoid_scalar(g[H + j]);
        float c = tanh_scalar(g[2 * H + j]), o = sigmoid_scalar(g[3 * H + j]);
        g[j] = i;
        g[H + j] = f;
        g[2 * H + j] = c;
        g[3 * H + j] = o;
        float previous = cell_previous ? cell_previous[j] : 0.0f;
        float state = f * previous + i * c, squashed = tanh_scalar(state);
        cell[j] = state;
        cell_tanh[j] = squashed;
        hidden[j] = o * squashed;
    }
}

#if LSTM_HAVE_AVX2_KERNEL
__attribute__((target("avx2,fma"))) static __m256 exp_avx2(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(EXP_LOW)), _mm256_set1_ps(EXP_HIGH));
    __m256 n = _mm256_round_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(LOG2E), _mm256_set1_ps(0.5f)),
                               _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HIGH), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LOW), r);
    __m256 p = _mm256_set1_ps(exp_coefficients[0]);
    for (int k = 1; k < 6; k++)
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(exp_coefficients[k]));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n),
                                                      _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma"))) static __m256 sigmoid_avx2(__m256 x)
{
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

__attribute__((target("avx2,fma"))) static __m256 tanh_avx2(__m256 x)
{
    __m256 z = _mm256_mul_ps(x, x), p = _mm256_set1_ps(tanh_coefficients[0]);
    for (int k = 1; k < 5; k++)
        p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(tanh_coefficients[k]));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
    __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    __m256 large = _mm256_sub_ps(
        _mm256_div_ps(two, _mm256_add_ps(one, exp_avx2(_mm256_mul_ps(_mm256_set1_ps(-2.0f), x)))),
        one);
    __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256 use_small = _mm256_cmp_ps(magnitude, _mm256_set1_ps(TANH_POLYNOMIAL_LIMIT), _CMP_LT_OQ);
    return _mm256_blendv_ps(large, small, use_small);
}

/* Lanes j..j+7 of a row, the lanes at or past H masked off (no access). */
__attribute__((target("avx2,fma"))) static __m256i lanes_below(int j, int H)
{
    __m256i index = _mm256_add_epi32(_mm256_set1_epi32(j), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(H), index);
}

/* One row, 8 hidden units at a time, the last group masked. */
__attribute__((target("avx2,fma"))) static void cell_forward_avx2(int H, float *g,
                                                                  const float *cell_previous,
                                                                  float *cell, float *cell_tanh,
                                                                  float *hidden)
{
    for (int j = 0; j < H; j += 8) {
        __m256i in = lanes_below(j, H);
        __m256 i = sigmoid_avx2(_mm256_maskload_ps(g + j, in));
        __m256 f = sigmoid_avx2(_mm256_maskload_ps(g + H + j, in));
        __m256 c = tanh_avx2(_mm256_maskload_ps(g + 2 * H + j, in));
        __m256 o = sigmoid_avx2(_mm256_maskload_ps(g + 3 * H + j, in));
        _mm256_maskstore_ps(g + j, in, i);
        _mm256_maskstore_ps(g + H + j, in, f);
        _mm256_maskstore_ps(g + 2 * H + j, in, c);
        _mm256_maskstore_ps(g + 3 * H + j, in, o);
        __m256 previous =
            cell_previous ? _mm256_maskload_ps(cell_previous + j, in) : _mm256_setzero_ps();
        __m256 state = _mm256_fmadd_ps(f, previous, _mm256_mul_ps(i, c));
        __m256 squashed = tanh_avx2(state);
        _mm256_maskstore_ps(cell + j, in, state);
        _mm256_maskstore_ps(cell_tanh + j, in, squashed);
        _mm256_maskstore_ps(hidden + j, in, _mm256_mul_ps(o, squashed));
    }
}

/* The scalar backward step, 8 units at a time (same arithmetic order). */
__attribute__((target("avx2,fma"))) static void cell_backward_avx2(
    int H, const float *g, const float *cell_previous, const float *cell_tanh,
    const float *hidden_gradient, float *cell_gradient, float *dg)
{
    __m256 one = _mm256_set1_ps(1.0f);
    for (int j = 0; j < H; j += 8) {
        __m256i in = lanes_below(j, H);
        __m256 i = _mm256_maskload_ps(g + j, in), f = _mm256_maskload_ps(g + H + j, in);
        __m256 c = _mm256_maskload_ps(g + 2 * H + j, in), o = _mm256_maskload_ps(g + 3 * H + j, in);
        __m256 squashed = _mm256_maskload_ps(cell_tanh + j, in);
        __m256 dh = _mm256_maskload_ps(hidden_gradient + j, in);
        __m256 dcell = _mm256_add_ps(
            _mm256_maskload_ps(cell_gradient + j, in),
            _mm256_mul_ps(_mm256_mul_ps(dh, o),
                          _mm256_sub_ps(one, _mm256_mul_ps(squashed, squashed))));
        __m256 previous =
            cell_previous ? _mm256_maskload_ps(cell_previous + j, in) : _mm256_setzero_ps();
        __m256 di = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dcell, c), i), _mm256_sub_ps(one, i));
        __m256 df = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dcell, previous), f),
                                  _mm256_sub_ps(one, f));
        __m256 dc = _mm256_mul_ps(_mm256_mul_ps(dcell, i), _mm256_sub_ps(one, _mm256_mul_ps(c, c)));
        __m256 dout = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dh, squashed), o),
                                    _mm256_sub_ps(one, o));
        _mm256_maskstore_ps(dg + j, in, di);
        _mm256_maskstore_ps(dg + H + j, in, df);
        _mm256_maskstore_ps(dg + 2 * H + j, in, dc);
        _mm256_maskstore_ps(dg + 3 * H + j, in, dout);
        _mm256_maskstore_ps(cell_gradient + j, in, _mm256_mul_ps(dcell, f));
    }
}
#endif

int lstm_kernels_have_avx2(void)
{
#if LSTM_HAVE_AVX2_KERNEL
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

void lstm_cell_forward(int H, int n, float *gates, const float *cell_previous, float *cell,
                       float *cell_tanh, float *hidden, int vector)
{
    for (int b = 0; b < n; b++) {
        size_t row = (size_t)b * H;
        float *g = gates + 4 * row;
        const float *previous = cell_previous ? cell_previous + row : NULL;
#if LSTM_HAVE_AVX2_KERNEL
        if (vector) {
            cell_forward_avx2(H, g, previous, cell + row, cell_tanh + row, hidden + row);
            continue;
        }
#endif
        cell_forward_scalar(H, g, previous, cell + row, cell_tanh + row, hidden + row);
    }
    (void)vector;
}

static void cell_backward_scalar(int H, const float *g, const float *cell_previous,
                                 const float *cell_tanh, const float *hidden_gradient,
                                 float *cell_gradient, float *dg)
{
    for (int j = 0; j < H; j++) {
        float i = g[j], f = g[H + j], c = g[2 * H + j], o = g[3 * H + j];
        float squashed = cell_tanh[j], dh = hidden_gradient[j];
        float dcell = cell_gradient[j] + dh * o * (1.0f - squashed * squashed);
        float previous = cell_previous ? cell_previous[j] : 0.0f;
        dg[j] = dcell * c * i * (1.0f - i);
        dg[H + j] = dcell * previous * f * (1.0f - f);
        dg[2 * H + j] = dcell * i * (1.0f - c * c);
        dg[3 * H + j] = dh * squashed * o * (1.0f - o);
        cell_gradient[j] = dcell * f;
    }
}

void lstm_cell_backward(int H, int n, const float *gates, const float *cell_previous,
                        const float *cell_tanh, const float *hidden_gradient,
                        float *cell_gradient, float *gates_gradient, int vector)
{
    for (int b = 0; b < n; b++) {
        size_t row = (size_t)b * H;
        const float *previous = cell_previous ? cell_previous + row : NULL;
#if LSTM_HAVE_AVX2_KERNEL
        if (vector) {
            cell_backward_avx2(H, gates + 4 * row, previous, cell_tanh + row,
                               hidden_gradient + row, cell_gradient + row,
                               gates_gradient + 4 * row);
            continue;
        }
#endif
        cell_backward_scalar(H, gates + 4 * row, previous, cell_tanh + row, hidden_gradient + row,
                             cell_gradient + row, gates_gradient + 4 * row);
    }
    (void)vector;
}

static size_t adam_scalar(size_t from, size_t n, float *p, const float *g, float *m, float *v,
                          const lstm_adam_step *s)
{
    for (size_t i = from; i < n; i++) {
        float gradient = g[i] + s->weight_decay * p[i];
        m[i] = s->beta1 * m[i] + (1.0f - s->beta1) * gradient;
        v[i] = s->beta2 * v[i] + (1.0f - s->beta2) * gradient * gradient;
        float denominator = sqrtf(v[i]) / s->root_correction2 + s->epsilon;
        p[i] -= s->step_size * m[i] / denominator;
    }
    return n;
}

#if LSTM_HAVE_AVX2_KERNEL
/* The scalar arithmetic in the same order, 8 at a time (no FMA, so both
 * paths round alike). */
__attribute__((target("avx2"))) static size_t adam_avx2(size_t n, float *p, const float *g,
                                                        float *m, float *v,
                                                        const lstm_adam_step *s)
{
    __m256 decay = _mm256_set1_ps(s->weight_decay), beta1 = _mm256_set1_ps(s->beta1),
           beta2 = _mm256_set1_ps(s->beta2), keep1 = _mm256_set1_ps(1.0f - s->beta1),
           keep2 = _mm256_set1_ps(1.0f - s->beta2), root = _mm256_set1_ps(s->root_correction2),
           epsilon = _mm256_set1_ps(s->epsilon), step = _mm256_set1_ps(s->step_size);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 w = _mm256_loadu_ps(p + i);
        __m256 gradient = _mm256_add_ps(_mm256_loadu_ps(g + i), _mm256_mul_ps(decay, w));
        __m256 mean = _mm256_add_ps(_mm256_mul_ps(beta1, _mm256_loadu_ps(m + i)),
                                    _mm256_mul_ps(keep1, gradient));
        __m256 square = _mm256_add_ps(_mm256_mul_ps(beta2, _mm256_loadu_ps(v + i)),
                                      _mm256_mul_ps(_mm256_mul_ps(keep2, gradient), gradient));
        __m256 denominator =
            _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(square), root), epsilon);
        _mm256_storeu_ps(m + i, mean);
        _mm256_storeu_ps(v + i, square);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(w, _mm256_div_ps(_mm256_mul_ps(step, mean),
                                                               denominator)));
    }
    return i;
}
#endif

void lstm_adam_kernel(size_t n, float *p, const float *g, float *m, float *v,
                      const lstm_adam_step *s, int vector)
{
    size_t done = 0;
#if LSTM_HAVE_AVX2_KERNEL
    if (vector)
        done = adam_avx2(n, p, g, m, v, s);
#endif
    adam_scalar(done, n, p, g, m, v, s);
    (void)vector;
}

/* ---- BLAS threads (lstm_internal.h) ------------------------------------ */
#include <cblas.h>
#include <pthread.h>

static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_depth, blas_saved_threads;

void lstm_blas_single_enter(void)
{
    pthread_mutex_lock(&blas_lock);
    if (blas_depth++ == 0) {
        blas_saved_threads = openblas_get_num_threads();
        if (blas_saved_threads != 1)
            openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&blas_lock);
}

void lstm_blas_single_leave(void)
{
    pthread_mutex_lock(&blas_lock);
    if (--blas_depth == 0 && blas_saved_threads != 1)
        openblas_set_num_threads(blas_saved_threads);
    pthread_mutex_unlock(&blas_lock);
}
