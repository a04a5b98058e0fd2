/* Sketchbook's one C kernel: after an int8 convolution, one pass over its fp32 output that
 * normalises it (the instance norm folded into a per-channel scale and shift), applies ReLU or
 * adds the residual stream, keeps the fp32 result where the residual stream needs it, and writes
 * the value quantized for the next convolution (uint8, per-channel scale and zero point) straight
 * into that convolution's padded input. torch needs four passes and a temporary for the same
 * (sketchbook/int8.py: _norm_quant_torch, the fallback where no C compiler is found).
 *
 * Maps are channels-last (N = 1): element (r, x, c) of a map is at base + r * row + x * col + c.
 * Rows [r0, r1) are done, in parallel (OpenMP). Built at first use by
 * sketchbook/kernels/__init__.py with the machine's compiler (cc -O3 -march=native -fopenmp).
 */
#include <stdint.h>

static inline float clampq(float q) {
    q = q > 0.0f ? q : 0.0f;
    return q < 255.4999f ? q : 255.4999f;
}

/* z = y * a + b; with skip: z += skip, else with relu: z = max(z, 0); with stream: stream = z;
 * out = (uint8) clamp(z * qa + qb, 0, 255.4999): qb holds the zero point + 0.5 (the cast truncates). */
void sbk_norm_quant(const float *y, long y_row, long y_col,
                    long width, long channels, long r0, long r1,
                    const float *a, const float *b, int relu,
                    const float *skip, long s_row, long s_col,
                    float *stream, long t_row, long t_col,
                    const float *qa, const float *qb,
                    uint8_t *out, long o_row, long o_col)
{
    /* Rows in parallel on the process's OpenMP threads: built with -fopenmp, the library uses
     * the libgomp torch has loaded (the same soname), so its threads are torch's, not a second
     * pool competing with torch's spinning workers. */
    #pragma omp parallel for schedule(static)
    for (long r = r0; r < r1; r++) {
        for (long x = 0; x < width; x++) {
            const float *yp = y + r * y_row + x * y_col;
            uint8_t *op = out + r * o_row + x * o_col;
            if (skip) {
                const float *sp = skip + r * s_row + x * s_col;
                if (stream) {
                    float *tp = stream + r * t_row + x * t_col;
                    for (long c = 0; c < channels; c++) {
                        float z = yp[c] * a[c] + b[c] + sp[c];
                        tp[c] = z;
                        op[c] = (uint8_t)clampq(z * qa[c] + qb[c]);
                    }
                } else {
                    for (long c = 0; c < channels; c++) {
                        float z = yp[c] * a[c] + b[c] + sp[c];
                        op[c] = (uint8_t)clampq(z * qa[c] + qb[c]);
                    }
                }
            } else if (stream) {
                float *tp = stream + r * t_row + x * t_col;
                for (long c = 0; c < channels; c++) {
                    float z = yp[c] * a[c] + b[c];
                    z = (relu && z < 0.0f) ? 0.0f : z;
                    tp[c] = z;
                    op[c] = (uint8_t)clampq(z * qa[c] + qb[c]);
                }
            } else {
                /* ReLU then quantization: the ReLU's floor is the clamp at 0 (zero point 0). */
                for (long c = 0; c < channels; c++) {
                    op[c] = (uint8_t)clampq((yp[c] * a[c] + b[c]) * qa[c] + qb[c]);
                }
            }
        }
    }
}
