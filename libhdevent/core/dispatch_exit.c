/*
 * hd_dispatch_vmcall_exit(): the pre pass, the default handling and the post pass in the one
 * order every backend needs (dispatch.h). The host simulator, the self-test IOCTL and the
 * shared VMX layer's exit handler all call it, so the sequence is written once.
 */
#include "internal/engine.h"

#include <hdevent/dispatch.h>

void hd_vmcall_default(void *user, struct hd_vcpu *vcpu)
{
    (void)user;
    vcpu->regs->rax = (vcpu->flags & HD_VCPU_PROTECTED) ? 0 : HD_VMCALL_ENOSYS;
}

enum hd_status hd_dispatch_vmcall_exit(struct hd_engine *engine, struct hd_vcpu *vcpu,
                                       void *context, hd_vmcall_handler handle, void *user,
                                       struct hd_exit *out)
{
    enum hd_status st;

    hd_memset(out, 0, sizeof(*out));
    st = hd_dispatch_vmcall(engine, vcpu, context, &out->pre);
    if (HD_FAILED(st))
        return st;
    if (!(out->pre.flags & HD_VERDICT_SHORT_CIRCUIT)) { /* S12: skipped, RIP still advances */
        if (handle)
            handle(user, vcpu);
        else
            hd_vmcall_default(user, vcpu); /* a direct call: no function address, no GOT */
        out->default_handled = true;
    }
    if (out->pre.flags & HD_VERDICT_POST) { /* S10: the post pass runs on the VMCALL set */
        st = hd_dispatch_vmcall_post(engine, vcpu, context, &out->post);
        out->post_ran = true;
        if (HD_FAILED(st))
            hd_dispatch_vmcall_end(engine, vcpu); /* never leave the core "inside" an exit */
    }
    return st;
}
