#define TY_VW 4
#define TY_NS ty_generic
#include "gemm_impl.h"
