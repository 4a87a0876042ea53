#ifndef SECLAB_CSODIUM_SHIM_H
#define SECLAB_CSODIUM_SHIM_H
#include <sodium.h>
#endif
