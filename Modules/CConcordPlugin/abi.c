#include "concord_plugin.h"
