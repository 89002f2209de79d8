#include <stdio.h>

#include <hdevent/hdevent.h>

int main(void)
{
    const char *s = hd_status_str(HD_OK);

    if (s == NULL)
        return 1;
    printf("hd_status_str(HD_OK) = %s\n", s);
    return 0;
}
