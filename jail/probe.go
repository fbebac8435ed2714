package jail

// ProbeHosts starts, in the background, the check of this kernel that
// [Check] and [Command] make for a policy with Connect hosts: whether a
// jail in its own user, mount and network namespaces can be started here,
// which takes a process of its own, once per process. It returns at once;
// the Check that needs the answer waits only for what is left of it. A
// command that will jail a program with host grants (the git server's
// transfers) calls it first thing, so that the probe runs while the rest
// of the command sets up. Calling it more than once starts one probe.
func ProbeHosts() { go probeNetns() }
