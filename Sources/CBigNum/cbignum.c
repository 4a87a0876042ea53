#include "cbignum.h"
