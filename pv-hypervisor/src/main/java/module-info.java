/**
 * The Parasol hypervisor: machine memory, domains, vCPUs, the hypercall table, event
 * channels, grant tables, timers and the scheduler. Mechanism only.
 *
 * <p>A named module that opens no package: guest code, loaded by its own class loaders whose
 * parent delegates only {@code org.parasol.hypercall} and the JDK, can neither name nor
 * reflect into the hypervisor.
 */
module org.parasol.hypervisor {
    requires transitive org.parasol.hypercall;

    exports org.parasol.hypervisor;
    exports org.parasol.hypervisor.domain;
    exports org.parasol.hypervisor.event;
    exports org.parasol.hypervisor.grant;
    exports org.parasol.hypervisor.hypercall;
    exports org.parasol.hypervisor.image;
    exports org.parasol.hypervisor.mm;
    exports org.parasol.hypervisor.sched;
    exports org.parasol.hypervisor.time;
}
