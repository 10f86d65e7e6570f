#define TY_VW 8
#define TY_NS ty_avx2
#include "gemm_impl.h"
