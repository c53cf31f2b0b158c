/**
 * Emulated hardware for the native configurations (issue 15's measurement lab): the VM-exit
 * vocabulary ({@link org.parasol.hypervisor.hvm.ExitReason}, the qualifications) and the
 * device models a native kernel drives ({@link org.parasol.hypervisor.hvm.Uart16550}). The
 * exit handler itself lives beside the vCPU ({@code domain.VmExits}), as the trap bounce does.
 * Nothing here depends on a domain: a device model is told where its output goes.
 */
package org.parasol.hypervisor.hvm;
