#ifndef SECLAB_CBIGNUM_H
#define SECLAB_CBIGNUM_H
#endif
