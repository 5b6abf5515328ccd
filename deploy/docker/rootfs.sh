#!/bin/sh
# rootfs.sh OUT BINARY...: lays out in OUT the whole root filesystem of the runtime image (it
# starts FROM scratch): the binaries' shared libraries (their ldd closure, under the sonames the
# loader asks for) and a loader cache for them, /bin/sh and sleep (the entrypoint and the
# manifests' preStop hooks), the CA bundle (HTTPS to the carriers), and passwd/group with the
# unprivileged user 10001. Runs in the Dockerfile's builder stage (Debian 12, merged /usr).
set -eu
out=$1
shift
multiarch=$(gcc -print-multiarch)
lib=usr/lib/$multiarch

mkdir -p "$out/usr/bin" "$out/$lib" "$out/usr/lib64" "$out/etc/ssl/certs" "$out/tmp"
chmod 1777 "$out/tmp"
ln -s usr/bin "$out/bin"
ln -s usr/lib "$out/lib"
ln -s usr/lib64 "$out/lib64"

# every shared object a program needs, copied once under the name it is looked up by
copy_libs() {
  ldd "$1" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | while read -r so; do
    case "$so" in
      */ld-linux*) dest=$out/usr/lib64/$(basename "$so") ;;
      *) dest=$out/$lib/$(basename "$so") ;;
    esac
    [ -e "$dest" ] || cp -L "$so" "$dest"
  done
}

for b in "$@"; do
  copy_libs "$b"
done
cp -L /usr/bin/dash "$out/usr/bin/sh"
cp -L /usr/bin/sleep "$out/usr/bin/sleep"
copy_libs /usr/bin/dash
copy_libs /usr/bin/sleep

: > "$out/etc/ld.so.conf"
ldconfig -r "$out"
cp -L /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/ca-certificates.crt"
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\noneinbox:x:10001:10001::/nonexistent:/usr/sbin/nologin\n' \
  > "$out/etc/passwd"
printf 'root:x:0:\noneinbox:x:10001:\n' > "$out/etc/group"
