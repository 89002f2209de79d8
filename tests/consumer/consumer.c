/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <hdevent/hdevent.h>
#include <hdevent/version.h>

int main(void)
{
    const char *s = hd_status_str(HD_OK);

    if (s == NULL)
        return 1;
    printf("hd_status_str(HD_OK) = %s\n", s);
    printf("HD_VERSION_STRING = %s (package %s)\n", HD_VERSION_STRING, EXPECT_VERSION);
    if (strcmp(HD_VERSION_STRING, EXPECT_VERSION) != 0)
        return 1;
    return HD_VERSION == HD_VERSION_MAJOR * 10000 + HD_VERSION_MINOR * 100 + HD_VERSION_PATCH ? 0 : 1;
}
