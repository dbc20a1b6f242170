// Only the declaration in include/CLibFuzzer.h is needed; SwiftPM wants one source per C target.
#include "CLibFuzzer.h"
