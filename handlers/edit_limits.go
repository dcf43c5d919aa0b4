package handlers

import "time"

// newEditLimits are the limits on edits of one's own comments, counted like
// new comments (per client address and per session): a person fixes a typo
// or two in the ten minutes a comment can be changed; every edit is an
// update sent to every reader of the article, so a script that edits in a
// loop is stopped here rather than flooding them.
func newEditLimits() *formLimits { return newFormLimits(30, 10, 10*time.Minute) }
