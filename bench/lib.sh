# Shared by bench's recording scripts, which source it: what counts as the code a result measures.
# A change to these paths changes what the scripts time; results and prose may change meanwhile.
code_paths=(pom.xml src native-config bench/pom.xml bench/src)

# Exits with an error unless the code under the checkout at $1 is as its commit has it.
require_committed_code() {
  if [ -n "$(git -C "$1" status --porcelain --untracked-files=no -- "${code_paths[@]}")" ]; then
    echo "error: the code differs from commit $(git -C "$1" rev-parse --short HEAD); commit first" >&2
    exit 1
  fi
}
