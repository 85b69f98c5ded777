// The declaration in include/CFuzzerDriver.h is the whole target; libFuzzer defines the function.
#include "CFuzzerDriver.h"
