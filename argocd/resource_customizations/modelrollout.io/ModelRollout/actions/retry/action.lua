-- Argo CD action "retry": run the rolled-back (or inconclusive-paused) revision again.
-- Same as `kubectl modelrollout retry NAME`: the annotation modelrollout.io/retry=true. The controller
-- acknowledges it in status and removes it (docs/lifecycle.md).
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["modelrollout.io/retry"] = "true"
return obj
