#include <cblas.h>
/* OpenBLAS extensions (declared in openblas' cblas.h): thread count and build config. */
