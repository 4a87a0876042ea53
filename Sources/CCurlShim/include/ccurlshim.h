#ifndef SECLAB_CCURLSHIM_H
#define SECLAB_CCURLSHIM_H
/* curl_easy_setopt / curl_easy_getinfo are variadic and do not import into Swift:
   these fixed-type wrappers are the whole C surface seclab needs. */
#include <curl/curl.h>

CURLcode seclab_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode seclab_curl_setopt_ptr(CURL *handle, CURLoption option, void *value);
CURLcode seclab_curl_setopt_str(CURL *handle, CURLoption option, const char *value);
CURLcode seclab_curl_setopt_write_callback(CURL *handle,
    size_t (*callback)(char *data, size_t size, size_t count, void *context));
CURLcode seclab_curl_setopt_header_callback(CURL *handle,
    size_t (*callback)(char *data, size_t size, size_t count, void *context));
CURLcode seclab_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode seclab_curl_getinfo_double(CURL *handle, CURLINFO info, double *value);
#endif
