// Boost.JSON, header-only: its implementation is compiled here, once for the whole project.
// Everything else includes <boost/json.hpp> only; a second copy of this include anywhere
// linked into the same program is a duplicate-symbol error.
#include <boost/json/src.hpp>
