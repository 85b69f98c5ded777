// zlib (Debian: zlib1g-dev): gzip'd IDX files and PNG's deflate.
#include <zlib.h>
