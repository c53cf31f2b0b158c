package org.parasol.hypervisor.domain;

/** Where a domain is in its life, as {@code xl list} shows it. */
public enum DomainState {
    /** Created, vCPUs may run. */
    RUNNING,
    /** Paused by the toolstack; vCPUs wait at safe points. */
    PAUSED,
    /** Shut down with a reason (poweroff, reboot, suspend, crash, watchdog); vCPUs stopped. */
    SHUTDOWN,
    /** Being destroyed: vCPUs are unwinding, resources are being released. */
    DYING,
    /** A vCPU never reached a safe point during destroy: listed, holding its frames. */
    ZOMBIE,
    /** Destroyed; every resource returned. */
    DEAD
}
