/**
 * dom0's kernel: the privileged control domain that builds the other domains through the
 * {@code domctl} family and reaps them when they shut down, as Xen's toolstack (libxl and
 * libxenguest, driven by {@code xl}) does from dom0. xenstored, the back ends and the control
 * API's server join it here as their issues land.
 */
package org.parasol.toolstack.dom0;
