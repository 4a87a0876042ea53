#ifndef SECLAB_CCURL_SHIM_H
#define SECLAB_CCURL_SHIM_H
#include <curl/curl.h>
#endif
