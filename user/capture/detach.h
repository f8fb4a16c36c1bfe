/* SPDX-License-Identifier: BSD-2-Clause */
/* Detaches every probe at stop without waiting out the kernel's release of each one. */
#ifndef PYSPAN_DETACH_H
#define PYSPAN_DETACH_H

struct bpf_link;

/* Closing the last reference to a perf event (every tracepoint and uprobe pyspan attaches)
 * makes the kernel wait for an RCU grace period under a global mutex: 35 to 110 ms each on a
 * VM, 2.1 s for pyspan's 41 links, serialised whatever thread closes them. detach_hand_over
 * forks a holder that keeps a reference to each perf event until pyspan has exited, so that
 * pyspan's own closes only detach the programs (fast) and the holder pays the release. Call
 * it just before destroying the links; without a holder (fork failed) they close in place. */
void detach_hand_over(void);

/* Destroy every non-NULL link in links[0..n) from parallel threads and set each to NULL. */
void detach_links(struct bpf_link **links[], int n);

/* Destroy links[0..n) from a thread of their own, for releases while pyspan runs: the caller
 * neither waits nor touches them again. Without a thread, they are destroyed here. */
void detach_links_async(struct bpf_link *const links[], int n);

#endif
