-- Argo CD action "promote": skip the remaining steps once the current step's analysis passes.
-- Same as `kubectl modelrollout promote NAME`: the annotation modelrollout.io/promote=true. The controller
-- acknowledges it in status and removes it (docs/lifecycle.md).
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["modelrollout.io/promote"] = "true"
return obj
