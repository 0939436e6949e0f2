// Shim over the system OpenBLAS CBLAS interface (Debian: libopenblas-dev).
#ifndef MOEKIT_CBLAS_SHIM_H
#define MOEKIT_CBLAS_SHIM_H
#include <cblas.h>
#endif
