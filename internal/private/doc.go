// Package private makes and checks the folders bpbench keeps for itself —
// its cache (generated inputs, the lean child, the Node scripts) and its
// temporary folders — so that nothing another user prepared is ever used:
// a private folder is the user's own, closed to others (0700) and not a
// symbolic link, and that holds when bpbench runs as root too (root could
// otherwise chmod a folder someone else made and use it).
package private
