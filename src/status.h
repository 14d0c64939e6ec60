/* Status codes shared by the whole core library. Functions return PNL_OK or a
 * negative code, and fill a caller's message buffer with what a person needs
 * to know ("models/mozart.pnm: truncated at byte 81920 of 3145728"). */
#ifndef PIANOLA_STATUS_H
#define PIANOLA_STATUS_H

enum {
    PNL_OK = 0,
    PNL_EIO = -1,       /* a file could not be opened, read or written */
    PNL_EFORMAT = -2,   /* the bytes are not what the format says */
    PNL_ENOMEM = -3,    /* an allocation failed, or a preallocated buffer is full */
    PNL_ERANGE = -4,    /* a value is outside what Pianola represents */
    PNL_EMISMATCH = -5, /* a file made for another codec, model or version */
    PNL_EINVAL = -6     /* a caller passed an argument that makes no sense */
};

#endif
