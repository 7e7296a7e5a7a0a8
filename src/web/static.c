#include "web/static.h"

#include <string.h>

const struct static_asset *static_find(const char *path)
{
	if (!path)
		return NULL;
	for (size_t i = 0; i < static_assets_count; i++)
		if (strcmp(static_assets[i].path, path) == 0)
			return &static_assets[i];
	return NULL;
}
