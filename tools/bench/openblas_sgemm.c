/* openblas_sgemm.c: median GFLOP/s of OpenBLAS cblas_sgemm for C[M×N] = A[M×K]·Wᵀ (W [N×K], row-major), as one JSON line.
 * Build: gcc -O2 -o openblas_sgemm openblas_sgemm.c -lopenblas
 * cpu_gflops divides the FLOPs of the timed calls by the process CPU time (robust to preemption on a shared machine;
 * with several threads it also counts OpenBLAS's spin-waiting).
 * Run:   OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=2 ./openblas_sgemm M N K [REPS] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s M N K [REPS]\n", argv[0]); return 2; }
    int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
    int reps = argc > 4 ? atoi(argv[4]) : 10;
    float *a = aligned_alloc(64, sizeof(float) * (size_t)m * k + 64);
    float *w = aligned_alloc(64, sizeof(float) * (size_t)n * k + 64);
    float *c = aligned_alloc(64, sizeof(float) * (size_t)m * n + 64);
    srand(1);
    for (size_t i = 0; i < (size_t)m * k; i++) a[i] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t i = 0; i < (size_t)n * k; i++) w[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int i = 0; i < 3; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, w, k, 0.0f, c, n);
    double *t = malloc(sizeof(double) * reps);
    double cpu0 = cpu_ms();
    for (int i = 0; i < reps; i++) {
        double t0 = now_ms();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, w, k, 0.0f, c, n);
        t[i] = now_ms() - t0;
    }
    double cpu = cpu_ms() - cpu0;
    qsort(t, reps, sizeof(double), cmp);
    double ms = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    printf("{\"m\": %d, \"n\": %d, \"k\": %d, \"threads\": %s, \"gflops\": %.2f, \"median_ms\": %.4f, \"cpu_gflops\": %.2f}\n",
           m, n, k, getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "default", 2.0 * m * n * k / (ms * 1e6), ms,
           2.0 * m * n * k * reps / (cpu * 1e6));
    free(a); free(w); free(c); free(t);
    return 0;
}
