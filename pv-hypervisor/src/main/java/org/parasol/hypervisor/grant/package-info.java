/**
 * Grant tables (Xen's {@code grant_table.c}): each domain's v1 table of shared entries in
 * hypervisor-allocated frames, the active entries that pin granted frames while another
 * domain uses them, and the frame claims grant copy makes. The hypercall family is
 * {@code org.parasol.hypervisor.hypercall.GrantTableHandler}.
 */
package org.parasol.hypervisor.grant;
