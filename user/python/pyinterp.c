// SPDX-License-Identifier: BSD-2-Clause
/* Finds CPython in a live process: the ELF file with its symbols, its version, _PyRuntime. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/proc_open.h"
#include "python/pyinterp.h"

/* A .rodata bigger than this is not a libpython's (theirs are a few MB): do not scan it. */
#define MAX_RODATA (256u << 20)
/* Bigger than any interpreter or libpython (tens of MB): not read. */
#define MAX_ELF_SIZE (1ull << 30)
/* /proc/PID/maps of a sane process has a few thousand lines; stop reading somewhere. */
#define MAX_MAPS_LINES 1000000

enum { SYM_RUNTIME, SYM_NONE, SYM_CODE_TYPE, SYM_PY_VERSION, NSYMS };

static const char *const sym_names[NSYMS] = {
	[SYM_RUNTIME] = "_PyRuntime",
	[SYM_NONE] = "_Py_NoneStruct",
	[SYM_CODE_TYPE] = "PyCode_Type",
	[SYM_PY_VERSION] = "Py_Version",
};

struct elf_file {
	int fd;
	Elf *elf;
	GElf_Ehdr ehdr;
	int found[NSYMS];
	GElf_Sym syms[NSYMS];
};

struct version {
	int major, minor, micro;
	const char *source;
};

/* What a CPython file name says: libpython3.11.so.1.0, python3.13t, libpython3.8d.so... */
struct pyname {
	int major, minor;
	int debug;         /* "d" ABI flag */
	int free_threaded; /* "t" ABI flag */
};

static int read_full(int fd, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int parse_digits(const char **p, int *val)
{
	int v = 0, n = 0;

	while (**p >= '0' && **p <= '9' && n < 4) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n == 0 || (**p >= '0' && **p <= '9'))
		return -1;
	*val = v;
	return 0;
}

/* prefix then "M.N", ABI flags, then ".so" when want_so, else the end of the name (or a space:
 * maps appends " (deleted)"). */
static int parse_pyname(const char *name, const char *prefix, int want_so, struct pyname *pn)
{
	const char *p = name;
	size_t plen = strlen(prefix);

	memset(pn, 0, sizeof(*pn));
	if (strncmp(p, prefix, plen) != 0)
		return -1;
	p += plen;
	if (parse_digits(&p, &pn->major) || *p++ != '.' || parse_digits(&p, &pn->minor))
		return -1;
	for (; *p >= 'a' && *p <= 'z'; p++) {
		if (*p == 'd')
			pn->debug = 1;
		else if (*p == 't')
			pn->free_threaded = 1;
	}
	if (want_so)
		return strncmp(p, ".so", 3) == 0 && (p[3] == '\0' || p[3] == '.' || p[3] == ' ')
			       ? 0
			       : -1;
	return *p == '\0' || *p == ' ' ? 0 : -1;
}

/* Looks the wanted symbols up in every table of one type; first hit wins. */
static void find_syms_in(struct elf_file *ef, Elf64_Word type)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || sh.sh_entsize == 0)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(data, (int)i, &s) || s.st_name == 0 ||
			    s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE)
				continue;
			name = elf_strptr(ef->elf, sh.sh_link, s.st_name);
			if (!name)
				continue;
			for (int k = 0; k < NSYMS; k++) {
				if (!ef->found[k] && strcmp(name, sym_names[k]) == 0) {
					ef->found[k] = 1;
					ef->syms[k] = s;
				}
			}
		}
	}
}

static void elf_file_close(struct elf_file *ef)
{
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	ef->elf = NULL;
	ef->fd = -1;
}

/* Set when the last pyinterp_inspect was refused a file by permissions, not by its absence. */
static int denied;

static void note_denied(void)
{
	if (errno == EACCES || errno == EPERM)
		denied = 1;
}

int pyinterp_denied(void)
{
	return denied;
}

/* Reads the ELF file fd (opened and checked by lib/proc_open, now owned by ef). */
static int elf_file_from_fd(struct elf_file *ef, int fd, const char **why)
{
	memset(ef, 0, sizeof(*ef));
	ef->fd = fd;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		*why = "libelf could not be initialised.";
		elf_file_close(ef);
		return -1;
	}
	ef->elf = elf_begin(ef->fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || gelf_getclass(ef->elf) != ELFCLASS64 ||
	    !gelf_getehdr(ef->elf, &ef->ehdr) || ef->ehdr.e_machine != EM_X86_64) {
		*why = "The program's file is not an x86-64 ELF file.";
		elf_file_close(ef);
		return -1;
	}
	/* .dynsym survives strip; .symtab only helps when the file was not stripped. */
	find_syms_in(ef, SHT_DYNSYM);
	find_syms_in(ef, SHT_SYMTAB);
	return 0;
}

/* Says why an open was refused, as pyinterp_inspect's callers expect. */
static int open_refused(enum proc_open_err err, const char **why)
{
	if (err == PROC_OPEN_DENIED)
		denied = 1;
	*why = err == PROC_OPEN_NOT_REGULAR || err == PROC_OPEN_REPLACED || err == PROC_OPEN_TOO_BIG
		       ? "The interpreter's file is not a regular file, not the one the process "
			 "maps, or too big: it is not read."
		       : "The interpreter's ELF file could not be opened.";
	return -1;
}

/* A link the kernel resolves itself (/proc/PID/exe) or a path pyspan was given. */
static int elf_file_open(struct elf_file *ef, const char *path, const char **why)
{
	enum proc_open_err err;
	struct stat st;
	int fd;

	memset(ef, 0, sizeof(*ef));
	ef->fd = -1;
	err = proc_open_link(path, MAX_ELF_SIZE, &fd, &st);
	if (err != PROC_OPEN_OK)
		return open_refused(err, why);
	return elf_file_from_fd(ef, fd, why);
}

/* Reads len bytes of a symbol's initial value from the file; fails for .bss. */
static int read_sym(struct elf_file *ef, int k, void *buf, size_t len)
{
	const GElf_Sym *s = &ef->syms[k];
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (!ef->found[k])
		return -1;
	scn = elf_getscn(ef->elf, s->st_shndx);
	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return -1;
	if (s->st_value < sh.sh_addr || s->st_value - sh.sh_addr > sh.sh_size ||
	    sh.sh_size - (s->st_value - sh.sh_addr) < len)
		return -1;
	return read_full(ef->fd, sh.sh_offset + (s->st_value - sh.sh_addr), buf, len);
}

static int set_hex_version(struct version *v, uint64_t hex, const char *source)
{
	int major = (int)((hex >> 24) & 0xff), minor = (int)((hex >> 16) & 0xff);

	/* A corrupt or unrelated value must not pass for a version. */
	if (major != 3 || (hex >> 32) != 0)
		return -1;
	v->major = major;
	v->minor = minor;
	v->micro = (int)((hex >> 8) & 0xff);
	v->source = source;
	return 0;
}

static int version_from_py_version(struct elf_file *ef, struct version *v)
{
	uint64_t size = ef->syms[SYM_PY_VERSION].st_size;

	/* It is a const unsigned long: 8 bytes on x86-64 (little-endian, like us). */
	if (size == 8) {
		uint64_t hex;

		if (read_sym(ef, SYM_PY_VERSION, &hex, sizeof(hex)) == 0)
			return set_hex_version(v, hex, "Py_Version");
	} else if (size == 4) {
		uint32_t hex;

		if (read_sym(ef, SYM_PY_VERSION, &hex, sizeof(hex)) == 0)
			return set_hex_version(v, hex, "Py_Version");
	}
	return -1;
}

/* 3.13+ start _PyRuntime with _Py_DebugOffsets: "xdebugpy", version, free_threaded. It is
 * initialised data, so the file has it. *ft is set to whether the build is free-threaded. */
static int read_debug_offsets(struct elf_file *ef, uint64_t *hex, uint64_t *ft)
{
	unsigned char buf[24];

	if (read_sym(ef, SYM_RUNTIME, buf, sizeof(buf)) || memcmp(buf, "xdebugpy", 8) != 0)
		return -1;
	memcpy(hex, buf + 8, 8);
	memcpy(ft, buf + 16, 8);
	return 0;
}

static int soname(struct elf_file *ef, char *out, size_t cap)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || sh.sh_entsize == 0)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn d;
			const char *s;

			if (!gelf_getdyn(data, (int)i, &d))
				break;
			if (d.d_tag == DT_NULL)
				break;
			if (d.d_tag != DT_SONAME)
				continue;
			s = elf_strptr(ef->elf, sh.sh_link, d.d_un.d_val);
			if (!s)
				return -1;
			snprintf(out, cap, "%s", s);
			return 0;
		}
	}
	return -1;
}

/* sys.implementation.cache_tag ("cpython-311") is a literal in every version; so is the SOABI
 * ("cpython-311-x86_64-linux-gnu"). Both give major and minor. */
static int version_from_cache_tag(struct elf_file *ef, struct version *v)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		return -1;
	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *data;
		const char *buf, *end, *p;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(ef->elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".rodata") != 0 || sh.sh_size > MAX_RODATA)
			continue;
		data = elf_rawdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		buf = data->d_buf;
		end = buf + data->d_size;
		for (p = buf; (p = memmem(p, (size_t)(end - p), "cpython-3", 9)); p++) {
			const char *d = p + 9;
			int minor = 0, n = 0;

			while (d < end && *d >= '0' && *d <= '9' && n < 3) {
				minor = minor * 10 + (*d - '0');
				d++;
				n++;
			}
			if (n >= 1 && n <= 2 && d < end && (*d == '\0' || *d == '-')) {
				v->major = 3;
				v->minor = minor;
				v->micro = -1;
				v->source = "cache tag";
				return 0;
			}
		}
	}
	return -1;
}

/* Fills v from the first source that answers. name is the file's name as the process maps it. */
static int detect_version(struct elf_file *ef, const char *name, unsigned skip, struct version *v,
			  const char **why)
{
	uint64_t hex = 0, ft = 0;
	int have_dbg = read_debug_offsets(ef, &hex, &ft) == 0;
	char so[256];
	struct pyname pn_so, pn_file;
	int so_ok = soname(ef, so, sizeof(so)) == 0 &&
		    parse_pyname(base_name(so), "libpython", 1, &pn_so) == 0;
	int file_ok = parse_pyname(name, "libpython", 1, &pn_file) == 0 ||
		      parse_pyname(name, "python", 0, &pn_file) == 0;

	/* The table is for the default build; a free-threaded or debug one lays its objects out
	 * differently, and reading it with these offsets would give garbage. */
	if ((have_dbg && ft) || (so_ok && pn_so.free_threaded) ||
	    (file_ok && pn_file.free_threaded)) {
		*why = "The process runs a free-threaded (no-GIL) CPython build, which is not "
		       "supported.";
		return -1;
	}
	if ((so_ok && pn_so.debug) || (file_ok && pn_file.debug)) {
		*why = "The process runs a debug build of CPython, which is not supported.";
		return -1;
	}

	if (!(skip & PYINTERP_SRC_PY_VERSION) && version_from_py_version(ef, v) == 0)
		return 0;
	if (!(skip & PYINTERP_SRC_DEBUG_OFFSETS) && have_dbg &&
	    set_hex_version(v, hex, "_Py_DebugOffsets") == 0)
		return 0;
	if (!(skip & PYINTERP_SRC_SONAME) && so_ok) {
		*v = (struct version){ pn_so.major, pn_so.minor, -1, "soname" };
		return 0;
	}
	if (!(skip & PYINTERP_SRC_FILE_NAME) && file_ok) {
		*v = (struct version){ pn_file.major, pn_file.minor, -1, "file name" };
		return 0;
	}
	if (!(skip & PYINTERP_SRC_CACHE_TAG) && version_from_cache_tag(ef, v) == 0)
		return 0;
	*why = "The CPython version of the process could not be determined.";
	return -1;
}

int pyinterp_file_version(const char *path, unsigned skip, int *major, int *minor, int *micro,
			  const char **source, const char **why)
{
	struct elf_file ef;
	struct version v;
	int ret;

	if (elf_file_open(&ef, path, why))
		return -1;
	ret = detect_version(&ef, base_name(path), skip, &v, why);
	elf_file_close(&ef);
	if (ret)
		return -1;
	*major = v.major;
	*minor = v.minor;
	*micro = v.micro;
	*source = v.source;
	return 0;
}

/* The lowest mapping of one file: maps is sorted by address, so the first one seen. */
struct mapping {
	int found;
	uint64_t start, end, offset, inode;
	char path[4096];
};

/* One pass over /proc/PID/maps: the executable's first mapping and the first libpython's. */
static int scan_maps(uint32_t pid, const char *exe, struct mapping *exe_map,
		     struct mapping *lib_map)
{
	char fname[64];
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(fname, sizeof(fname), "/proc/%u/maps", pid);
	f = fopen(fname, "re");
	if (!f) {
		note_denied();
		return -1;
	}
	for (int n = 0; n < MAX_MAPS_LINES && getline(&line, &cap, f) > 0; n++) {
		uint64_t start, end, off, ino;
		char perms[8], dev[32];
		int pos = -1;
		char *path;
		struct pyname pn;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %31s %" SCNu64 " %n",
			   &start, &end, perms, &off, dev, &ino, &pos) < 6 ||
		    pos < 0)
			continue;
		path = line + pos;
		path[strcspn(path, "\n")] = '\0';
		if (path[0] != '/')
			continue;
		if (!exe_map->found && strcmp(path, exe) == 0) {
			*exe_map = (struct mapping){ 1, start, end, off, ino, "" };
			snprintf(exe_map->path, sizeof(exe_map->path), "%s", path);
		}
		if (!lib_map->found && parse_pyname(base_name(path), "libpython", 1, &pn) == 0) {
			*lib_map = (struct mapping){ 1, start, end, off, ino, "" };
			snprintf(lib_map->path, sizeof(lib_map->path), "%s", path);
		}
	}
	free(line);
	fclose(f);
	return 0;
}

/* runtime = vaddr + bias. The mapping shows file offset m->offset at m->start; the PT_LOAD
 * holding that offset says which vaddr that offset has. Works for ET_EXEC (bias 0) and ET_DYN. */
static int load_bias(struct elf_file *ef, const struct mapping *m, uint64_t *bias)
{
	size_t n;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t mask = ~((uint64_t)(page > 0 ? page : 4096) - 1);

	if (elf_getphdrnum(ef->elf, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(ef->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (m->offset < (ph.p_offset & mask) || m->offset >= ph.p_offset + ph.p_filesz)
			continue;
		/* vaddr and file offset are congruent modulo the page size, so the mapping's
		 * start has vaddr p_vaddr - (p_offset - offset); unsigned wrap-around is fine. */
		*bias = m->start - (ph.p_vaddr - ph.p_offset + m->offset);
		return 0;
	}
	return -1;
}

/* Opens the libpython the process maps: the mapped file itself (map_files), or its name
 * resolved inside the process's root when it still holds the mapped inode. A FIFO, a device,
 * a swapped file or a symlink out of the process's root is never opened (lib/proc_open). */
static int open_lib(uint32_t pid, const struct mapping *lib, char *path, size_t cap,
		    struct elf_file *ef, const char **why)
{
	enum proc_open_err err;
	struct stat st;
	int fd;

	memset(ef, 0, sizeof(*ef));
	ef->fd = -1;
	err = proc_open_mapped(pid, lib->path, lib->start, lib->end, lib->inode, MAX_ELF_SIZE, &fd,
			       &st);
	if (err != PROC_OPEN_OK)
		return open_refused(err, why);
	/* The name the interpreter is known by: the same file in every worker. */
	if (ends_with(lib->path, " (deleted)"))
		snprintf(path, cap, "/proc/%u/map_files/%" PRIx64 "-%" PRIx64, pid, lib->start,
			 lib->end);
	else if (snprintf(path, cap, "/proc/%u/root%s", pid, lib->path) >= (int)cap)
		path[0] = '\0'; /* a name for messages only */
	return elf_file_from_fd(ef, fd, why);
}

int pyinterp_inspect(uint32_t pid, struct py_interp *out, const char **why)
{
	struct mapping exe_map = { 0 }, lib_map = { 0 };
	char link[64], exe[4096];
	struct elf_file ef;
	struct version v;
	const struct mapping *m;
	struct pyname pn;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->micro = -1;
	denied = 0;

	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0) {
		note_denied();
		*why = "The process has no readable executable (it is gone, a kernel thread, or "
		       "not ours to read).";
		return -1;
	}
	exe[n] = '\0';
	if (scan_maps(pid, exe, &exe_map, &lib_map)) {
		*why = "The process's memory map could not be read (it is gone, or not ours to "
		       "read).";
		return -1;
	}

	/* An executable that defines _PyRuntime runs its own interpreter even when some
	 * extension dragged a libpython in too; otherwise a mapped libpython is the interpreter
	 * (the pyenv-style stub executable, or an embedder such as uwsgi or mod_wsgi). */
	if (elf_file_open(&ef, link, why)) {
		if (!lib_map.found)
			return -1;
	} else if (ef.found[SYM_RUNTIME]) {
		snprintf(out->path, sizeof(out->path), "%s", link);
		m = &exe_map;
		goto found;
	} else {
		elf_file_close(&ef);
	}
	if (!lib_map.found) {
		if (parse_pyname(base_name(exe), "python", 0, &pn) == 0)
			*why = "The CPython executable has no _PyRuntime symbol: it is stripped, "
			       "or older than CPython 3.7.";
		else
			*why = "The process does not run CPython: no libpython is mapped and its "
			       "executable has no _PyRuntime symbol.";
		return -1;
	}
	if (open_lib(pid, &lib_map, out->path, sizeof(out->path), &ef, why))
		return -1;
	if (!ef.found[SYM_RUNTIME]) {
		*why = "The process's libpython has no _PyRuntime symbol: it is stripped, or older "
		       "than CPython 3.7.";
		elf_file_close(&ef);
		return -1;
	}
	out->shared = 1;
	m = &lib_map;

found:
	if (detect_version(&ef, base_name(m->found ? m->path : exe), 0, &v, why))
		goto fail;
	if (!m->found || load_bias(&ef, m, &out->load_bias)) {
		*why = "The interpreter's file does not match how the process has mapped it.";
		goto fail;
	}
	out->major = v.major;
	out->minor = v.minor;
	out->micro = v.micro;
	out->version_source = v.source;
	out->runtime_addr = ef.syms[SYM_RUNTIME].st_value + out->load_bias;
	if (ef.found[SYM_NONE])
		out->none_addr = ef.syms[SYM_NONE].st_value + out->load_bias;
	if (ef.found[SYM_CODE_TYPE])
		out->code_type_addr = ef.syms[SYM_CODE_TYPE].st_value + out->load_bias;
	elf_file_close(&ef);
	return 0;

fail:
	elf_file_close(&ef);
	return -1;
}
