package org.parasol.guest.kernel;

/**
 * What the kernel learned from {@code start_info} at boot, as values: the domain's size, where
 * the builder put the P2M list and the bootstrap page tables, the machine address of
 * {@code shared_info} and the command line.
 *
 * @param nrPages pages the domain was built with
 * @param sharedInfoMaddr machine address of the {@code shared_info} page
 * @param flags {@code SIF_*}
 * @param mfnList virtual address of the P2M list
 * @param ptBase virtual address of the bootstrap L4 table
 * @param nrPtFrames bootstrap page-table frames, contiguous from {@code ptBase}
 * @param storeMfn the xenstore page's MFN (0 if none)
 * @param storeEvtchn the xenstore event channel
 * @param consoleMfn the PV console ring's MFN (0 if none)
 * @param consoleEvtchn the PV console event channel
 * @param commandLine the kernel command line
 * @param modStart the boot module's first PFN when {@code SIF_MOD_START_PFN} is in
 *     {@code flags}, else its virtual address; 0 for none (dom0's modules)
 * @param modLen the boot module's length in bytes, 0 for none
 */
public record BootInfo(long nrPages, long sharedInfoMaddr, long flags, long mfnList, long ptBase, long nrPtFrames,
        long storeMfn, long storeEvtchn, long consoleMfn, long consoleEvtchn, String commandLine, long modStart,
        long modLen) {
}
