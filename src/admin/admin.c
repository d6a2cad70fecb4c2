#include "admin.h"
int admin_main(void) { return 1; }
