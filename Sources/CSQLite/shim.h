#ifndef REMEDY_CSQLITE_SHIM_H
#define REMEDY_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
