#define TY_VW 16
#define TY_NS ty_avx512
#include "gemm_impl.h"
