// The run file (docs/run-file.md), written with HDF5's C API.
//
// Every HDF5 identifier lives in an h5_handle (RAII). Every call is checked (hdf5_checker); a
// failure throws run_error "cannot write <path>: <what failed> (HDF5: <innermost message of the
// error stack>)". HDF5's own printing of error stacks is switched off (hdf5_quiet) for the
// duration of each call into this file and restored afterwards.
//
// Atomicity: the file is written as "<path>.tmp.<pid>" in the same directory, closed, fsync'ed
// and renamed onto <path>. On any failure the handles are closed and the temporary file removed,
// so <path> is either the previous file (untouched) or the new, complete one.
#include "run_file.hpp"

#include "error.hpp"
#include "hdf5_support.hpp"
#include "posix_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <mutex>
#include <system_error>
#include <type_traits>

namespace m1 {

namespace {

// ---------------------------------------------------------------------------------------------
// HDF5 plumbing

void check_name(const hdf5_writer& w, const std::string& kind, const std::string& name) {
    if (name.empty() || name == "." || name.find('/') != std::string::npos)
        w.fail(kind + " name '" + name + "' cannot name an HDF5 group (empty, '.' or has '/')");
}

// SONATA: /spikes/<population>/{timestamps (double, attr units), node_ids (uint64)} and the enum
// attribute `sorting` on the population group. The enum type is the one libsonatareport writes
// and libsonata reads: base H5T_STD_U8LE, members none=0, by_id=1, by_time=2.
void write_spikes(const hdf5_writer& w, hid_t file, const std::vector<population_spikes>& spikes) {
    const hdf5_checker& c = w.check();
    const std::string what_enum = "cannot create the SONATA sorting enum type";
    h5_handle sorting = c.handle(H5Tenum_create(H5T_STD_U8LE), H5Tclose, what_enum);
    const std::pair<const char*, std::uint8_t> members[] = {{"none", 0}, {"by_id", 1}, {"by_time", 2}};
    for (const auto& [name, value] : members)
        c.ok(H5Tenum_insert(sorting, name, &value), what_enum);
    const std::uint8_t by_time = 2;

    h5_handle root = w.group(file, "/", "spikes", /*track_links=*/true);
    for (const auto& pop : spikes) {
        check_name(w, "population", pop.population);
        const std::string where = "/spikes/" + pop.population;
        if (pop.timestamps.size() != pop.node_ids.size())
            w.fail("spikes of population " + pop.population + " have " +
                   std::to_string(pop.timestamps.size()) + " timestamps but " +
                   std::to_string(pop.node_ids.size()) + " node ids");
        for (std::size_t i = 1; i < pop.timestamps.size(); ++i)
            if (!(pop.timestamps[i - 1] <= pop.timestamps[i]))
                w.fail("spikes of population " + pop.population +
                       " are not sorted by time (at spike " + std::to_string(i) + ")");
        h5_handle group = w.group(root, "/spikes", pop.population);
        w.attribute(group, where, "sorting", sorting, sorting, &by_time);
        h5_handle times = w.numbers(group, where, "timestamps", pop.timestamps);
        w.attribute(times, where + "/timestamps", "units", std::string("ms"));
        w.numbers(group, where, "node_ids", pop.node_ids);
    }
}

void write_cells(const hdf5_writer& w, hid_t file, const cell_table& cells) {
    const std::size_t n = cells.gid.size();
    auto same = [&](std::size_t size, const char* column) {
        if (size != n)
            w.fail("cell column " + std::string(column) + " has " + std::to_string(size) +
                   " rows but gid has " + std::to_string(n));
    };
    same(cells.population.size(), "population");
    same(cells.cell_type.size(), "cell_type");
    same(cells.x.size(), "x");
    same(cells.y.size(), "y");
    same(cells.z.size(), "z");
    same(cells.ynorm.size(), "ynorm");
    h5_handle group = w.group(file, "/", "cells", /*track_links=*/true);
    w.numbers(group, "/cells", "gid", cells.gid);
    w.strings(group, "/cells", "population", cells.population);
    w.strings(group, "/cells", "cell_type", cells.cell_type);
    w.numbers(group, "/cells", "x", cells.x);
    w.numbers(group, "/cells", "y", cells.y);
    w.numbers(group, "/cells", "z", cells.z);
    w.numbers(group, "/cells", "ynorm", cells.ynorm);
}

void write_connectivity(const hdf5_writer& w, hid_t file, const connectivity_table& conn) {
    const hsize_t pre = conn.pre_populations.size();
    const hsize_t post = conn.post_populations.size();
    const hsize_t mech = conn.synaptic_mechanisms.size();
    if (conn.contacts.size() != pre * post * mech)
        w.fail("connectivity has " + std::to_string(conn.contacts.size()) + " contact counts, " +
               "expected " + std::to_string(pre) + " x " + std::to_string(post) + " x " +
               std::to_string(mech));
    h5_handle group = w.group(file, "/", "connectivity");
    h5_handle set =
        w.numbers(group, "/connectivity", "contacts", conn.contacts.data(), {pre, post, mech});
    const std::string where = "/connectivity/contacts";
    w.attribute(set, where, "pre_populations", conn.pre_populations);
    w.attribute(set, where, "post_populations", conn.post_populations);
    w.attribute(set, where, "synaptic_mechanisms", conn.synaptic_mechanisms);
}

void write_run(const hdf5_writer& w, hid_t file, const run_record& record) {
    h5_handle group = w.group(file, "/", "run", /*track_links=*/false, /*track_attributes=*/true);
    for (const auto& [name, value] : record.run_attributes)
        std::visit([&](const auto& v) { w.attribute(group, "/run", name, v); }, value);
    w.string_scalar(group, "/run", "model", record.model_json);
    if (!record.sweep_attributes.empty()) {
        h5_handle sweep = w.group(group, "/run", "sweep", false, /*track_attributes=*/true);
        for (const auto& [name, value] : record.sweep_attributes)
            std::visit([&](const auto& v) { w.attribute(sweep, "/run/sweep", name, v); }, value);
    }
}

void write_lfp(const hdf5_writer& w, hid_t file, const lfp_sums& lfp) {
    const std::size_t E = lfp.electrodes.size();
    if (lfp.ampa.size() != lfp.gaba.size() || (E && lfp.ampa.size() % E))
        w.fail("the LFP sums do not match the electrodes");
    h5_handle group = w.group(file, "/", "lfp", true, true);
    w.attribute(group, "/lfp", "interval_ms", lfp.interval_ms);
    w.attribute(group, "/lfp", "electrodes", lfp.electrodes);
    w.attribute(group, "/lfp", "ynorm_low", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, lfp.ynorm_low.data(), {hsize_t(E)});
    w.attribute(group, "/lfp", "ynorm_high", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, lfp.ynorm_high.data(), {hsize_t(E)});
    w.attribute(group, "/lfp", "cells", H5T_STD_I64LE, H5T_NATIVE_INT64, lfp.cells.data(), {hsize_t(E)});
    const hsize_t samples = E ? lfp.ampa.size() / E : 0;
    h5_handle ampa = w.numbers(group, "/lfp", "ampa", lfp.ampa.data(), {samples, hsize_t(E)});
    w.attribute(ampa, "/lfp/ampa", "units", std::string("nA"));
    h5_handle gaba = w.numbers(group, "/lfp", "gaba", lfp.gaba.data(), {samples, hsize_t(E)});
    w.attribute(gaba, "/lfp/gaba", "units", std::string("nA"));
}

void write_traces(const hdf5_writer& w, hid_t file, const run_record& record) {
    const auto& traces = record.traces;
    if (traces.empty()) return;
    if (!(record.record_step > 0) || !std::isfinite(record.record_step))
        w.fail("traces need a positive record_step, not " + std::to_string(record.record_step));
    h5_handle group = w.group(file, "/", "traces", /*track_links=*/true);
    w.attribute(group, "/traces", "record_step", record.record_step);

    const std::size_t samples = traces.front().v.size();
    std::vector<double> v;
    v.reserve(traces.size() * samples);
    std::vector<std::string> population;
    std::vector<std::uint64_t> node_id, gid;
    for (std::size_t i = 0; i < traces.size(); ++i) {
        const auto& t = traces[i];
        if (t.v.size() != samples)
            w.fail("voltage traces differ in length: trace " + std::to_string(i) + " (gid " +
                   std::to_string(t.gid) + ") has " + std::to_string(t.v.size()) +
                   " samples, trace 0 has " + std::to_string(samples));
        v.insert(v.end(), t.v.begin(), t.v.end());
        population.push_back(t.population);
        node_id.push_back(t.node_id);
        gid.push_back(t.gid);
    }
    std::vector<double> time(samples);
    for (std::size_t k = 0; k < samples; ++k) time[k] = static_cast<double>(k) * record.record_step;

    w.numbers(group, "/traces", "v", v.data(), {hsize_t(traces.size()), hsize_t(samples)});
    w.numbers(group, "/traces", "time", time);
    w.strings(group, "/traces", "population", population);
    w.numbers(group, "/traces", "node_id", node_id);
    w.numbers(group, "/traces", "gid", gid);
}

// The contents of the file (without the file handling).
void write_contents(const hdf5_checker& c, hid_t file, const run_record& record) {
    hdf5_writer w(c);
    // SONATA's common HDF5 conventions ask every file for a uint32 `magic` = 0x0A7A and a
    // 2-element uint32 `version` at the root (bmtk writes both into its spike files).
    w.attribute(file, "/", "magic", std::uint32_t{0x0A7A});
    const std::uint32_t version[2] = {0, 1};
    w.attribute(file, "/", "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, version, {2});
    write_spikes(w, file, record.spikes);
    write_cells(w, file, record.cells);
    write_connectivity(w, file, record.connectivity);
    write_run(w, file, record);
    write_traces(w, file, record);
    if (record.lfp) write_lfp(w, file, *record.lfp);
}

// ---------------------------------------------------------------------------------------------
// Reading

// Opens `path` read-only; failures are reported through `c`.
h5_handle open_for_reading(const hdf5_checker& c, const std::filesystem::path& path) {
    {
        // HDF5 does not say why a file cannot be opened; open(2) does.
        const fd_handle probe(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (probe.get() < 0) {
            const int err = errno;
            c.fail(errno_text(err));
        }
    }
    const h5_handle fapl = file_access(c, /*lock_files=*/true);
    return c.handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose,
                    "not an HDF5 file or cannot be opened");
}

std::vector<std::string> link_names(const hdf5_checker& c, hid_t group, const std::string& where) {
    const std::string what = "cannot list " + where;
    h5_handle gcpl = c.handle(H5Gget_create_plist(group), H5Pclose, what);
    unsigned order = 0;
    c.ok(H5Pget_link_creation_order(gcpl, &order), what);
    const H5_index_t index =
        (order & H5P_CRT_ORDER_TRACKED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    H5G_info_t info;
    c.ok(H5Gget_info(group, &info), what);
    // By index rather than H5Literate, whose callback type differs between HDF5 1.10 and 1.12.
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t size =
            H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (size < 0) c.fail_hdf5(what);
        std::string name(static_cast<std::size_t>(size) + 1, '\0');
        if (H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, name.data(), name.size(),
                               H5P_DEFAULT) < 0)
            c.fail_hdf5(what);
        name.resize(static_cast<std::size_t>(size));
        names.push_back(std::move(name));
    }
    return names;
}

template <class T>
std::vector<T> read_numbers_1d(const hdf5_checker& c, hid_t parent, const std::string& name,
                               const std::string& where) {
    const std::string what = "cannot read " + where;
    h5_handle set = c.handle(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, what);
    h5_handle space = c.handle(H5Dget_space(set), H5Sclose, what);
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0) c.fail_hdf5(what);
    if (rank != 1) c.fail(where + " is not one-dimensional");
    hsize_t n = 0;
    if (H5Sget_simple_extent_dims(space, &n, nullptr) < 0) c.fail_hdf5(what);
    std::vector<T> values(n);
    if (n > 0)
        c.ok(H5Dread(set, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), what);
    return values;
}

}  // namespace

void write_run_file(const std::filesystem::path& path, const run_record& record) {
    write_hdf5_atomically(path, [&](const hdf5_checker& c, hid_t file) {
        write_contents(c, file, record);
    });
}

std::vector<population_spikes> read_run_spikes(const std::filesystem::path& path) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", path.string());
    const h5_handle file = open_for_reading(c, path);
    h5_handle spikes = c.handle(H5Gopen2(file, "spikes", H5P_DEFAULT), H5Gclose,
                                "cannot open group /spikes");
    std::vector<population_spikes> result;
    for (const std::string& population : link_names(c, spikes, "/spikes")) {
        const std::string where = "/spikes/" + population;
        h5_handle group = c.handle(H5Gopen2(spikes, population.c_str(), H5P_DEFAULT), H5Gclose,
                                   "cannot open group " + where);
        population_spikes p;
        p.population = population;
        p.timestamps = read_numbers_1d<double>(c, group, "timestamps", where + "/timestamps");
        p.node_ids = read_numbers_1d<std::uint64_t>(c, group, "node_ids", where + "/node_ids");
        if (p.timestamps.size() != p.node_ids.size())
            c.fail(where + " has " + std::to_string(p.timestamps.size()) + " timestamps but " +
                   std::to_string(p.node_ids.size()) + " node_ids");
        result.push_back(std::move(p));
    }
    return result;
}

namespace {

// Every attribute of `object`, by creation order where it is tracked (scalar int64, double or
// string; anything else is reported as an error rather than guessed).
std::vector<std::pair<std::string, attribute_value>> read_attributes(const hdf5_checker& c,
                                                                     hid_t object,
                                                                     const std::string& where) {
    const std::string what = "cannot read the attributes of " + where;
    std::vector<std::pair<std::string, attribute_value>> out;
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    c.ok(H5Oget_info3(object, &info, H5O_INFO_NUM_ATTRS), what);
#else
    H5O_info_t info;
    c.ok(H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS), what);
#endif
    h5_handle ocpl;
    unsigned order = 0;
    const H5I_type_t kind = H5Iget_type(object);
    if (kind == H5I_GROUP) {
        ocpl = c.handle(H5Gget_create_plist(object), H5Pclose, what);
        c.ok(H5Pget_attr_creation_order(ocpl, &order), what);
    }
    const H5_index_t index = (order & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    for (hsize_t i = 0; i < info.num_attrs; ++i) {
        h5_handle attr = c.handle(H5Aopen_by_idx(object, ".", index, H5_ITER_INC, i, H5P_DEFAULT,
                                                 H5P_DEFAULT),
                                  H5Aclose, what);
        const ssize_t size = H5Aget_name(attr, 0, nullptr);
        if (size < 0) c.fail_hdf5(what);
        std::string name(static_cast<std::size_t>(size) + 1, '\0');
        H5Aget_name(attr, name.size(), name.data());
        name.resize(static_cast<std::size_t>(size));
        h5_handle type = c.handle(H5Aget_type(attr), H5Tclose, what);
        h5_handle space = c.handle(H5Aget_space(attr), H5Sclose, what);
        if (H5Sget_simple_extent_type(space) != H5S_SCALAR) continue;  // only scalars are values
        const H5T_class_t cls = H5Tget_class(type);
        if (cls == H5T_INTEGER) {
            std::int64_t v = 0;
            c.ok(H5Aread(attr, H5T_NATIVE_INT64, &v), what);
            out.emplace_back(name, v);
        } else if (cls == H5T_FLOAT) {
            double v = 0;
            c.ok(H5Aread(attr, H5T_NATIVE_DOUBLE, &v), what);
            out.emplace_back(name, v);
        } else if (cls == H5T_STRING && H5Tis_variable_str(type) > 0) {
            char* text = nullptr;
            c.ok(H5Aread(attr, type, &text), what);
            out.emplace_back(name, std::string(text ? text : ""));
            H5free_memory(text);
        }
    }
    return out;
}

}  // namespace

const attribute_value* run_file_attributes::find(const std::string& name) const {
    for (const auto& [key, value] : run)
        if (key == name) return &value;
    return nullptr;
}

run_file_attributes read_run_attributes(const std::filesystem::path& path) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", path.string());
    const h5_handle file = open_for_reading(c, path);
    h5_handle run = c.handle(H5Gopen2(file, "run", H5P_DEFAULT), H5Gclose, "cannot open group /run");
    run_file_attributes out;
    out.run = read_attributes(c, run, "/run");
    if (H5Lexists(run, "sweep", H5P_DEFAULT) > 0) {
        h5_handle sweep = c.handle(H5Gopen2(run, "sweep", H5P_DEFAULT), H5Gclose,
                                   "cannot open group /run/sweep");
        out.sweep = read_attributes(c, sweep, "/run/sweep");
    }
    return out;
}

namespace {

std::vector<std::string> read_strings_1d(const hdf5_checker& c, hid_t parent, const std::string& name,
                                         const std::string& where) {
    const std::string what = "cannot read " + where;
    h5_handle set = c.handle(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, what);
    h5_handle space = c.handle(H5Dget_space(set), H5Sclose, what);
    if (H5Sget_simple_extent_ndims(space) != 1) c.fail(where + " is not one-dimensional");
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space, &n, nullptr);
    h5_handle type = utf8_string_type(c);
    std::vector<char*> pointers(n, nullptr);
    if (n > 0) c.ok(H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), what);
    std::vector<std::string> out;
    out.reserve(n);
    for (char* p : pointers) out.emplace_back(p ? p : "");
    if (n > 0) H5Dvlen_reclaim(type, space, H5P_DEFAULT, pointers.data());
    return out;
}

}  // namespace

cell_table read_run_cells(const std::filesystem::path& path) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", path.string());
    const h5_handle file = open_for_reading(c, path);
    h5_handle cells = c.handle(H5Gopen2(file, "cells", H5P_DEFAULT), H5Gclose,
                               "cannot open group /cells");
    cell_table t;
    t.gid = read_numbers_1d<std::uint64_t>(c, cells, "gid", "/cells/gid");
    t.population = read_strings_1d(c, cells, "population", "/cells/population");
    t.cell_type = read_strings_1d(c, cells, "cell_type", "/cells/cell_type");
    t.x = read_numbers_1d<double>(c, cells, "x", "/cells/x");
    t.y = read_numbers_1d<double>(c, cells, "y", "/cells/y");
    t.z = read_numbers_1d<double>(c, cells, "z", "/cells/z");
    t.ynorm = read_numbers_1d<double>(c, cells, "ynorm", "/cells/ynorm");
    for (std::size_t size : {t.population.size(), t.cell_type.size(), t.x.size(), t.ynorm.size()})
        if (size != t.gid.size()) c.fail("the columns of /cells differ in length");
    return t;
}

std::optional<lfp_sums> read_run_lfp(const std::filesystem::path& path) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", path.string());
    const h5_handle file = open_for_reading(c, path);
    if (H5Lexists(file, "lfp", H5P_DEFAULT) <= 0) return std::nullopt;
    h5_handle group = c.handle(H5Gopen2(file, "lfp", H5P_DEFAULT), H5Gclose, "cannot open /lfp");
    lfp_sums out;
    for (const auto& [name, value] : read_attributes(c, group, "/lfp"))
        if (name == "interval_ms" && std::holds_alternative<double>(value)) out.interval_ms = std::get<double>(value);
    const std::string what = "cannot read the attributes of /lfp";
    auto attribute = [&](const char* name, hid_t memory_type, void* data, hid_t type_for_strings) {
        h5_handle a = c.handle(H5Aopen(group, name, H5P_DEFAULT), H5Aclose, what);
        c.ok(H5Aread(a, type_for_strings >= 0 ? type_for_strings : memory_type, data), what);
    };
    h5_handle names_attr = c.handle(H5Aopen(group, "electrodes", H5P_DEFAULT), H5Aclose, what);
    h5_handle space = c.handle(H5Aget_space(names_attr), H5Sclose, what);
    const hssize_t E = H5Sget_simple_extent_npoints(space);
    std::vector<char*> names(static_cast<std::size_t>(std::max<hssize_t>(E, 0)), nullptr);
    h5_handle string_type = utf8_string_type(c);
    if (E > 0) c.ok(H5Aread(names_attr, string_type, names.data()), what);
    for (char* n : names) out.electrodes.emplace_back(n ? n : "");
    if (E > 0) H5Dvlen_reclaim(string_type, space, H5P_DEFAULT, names.data());
    out.ynorm_low.resize(out.electrodes.size());
    out.ynorm_high.resize(out.electrodes.size());
    out.cells.resize(out.electrodes.size());
    if (E > 0) {
        attribute("ynorm_low", H5T_NATIVE_DOUBLE, out.ynorm_low.data(), -1);
        attribute("ynorm_high", H5T_NATIVE_DOUBLE, out.ynorm_high.data(), -1);
        attribute("cells", H5T_NATIVE_INT64, out.cells.data(), -1);
    }
    auto matrix = [&](const char* name) {
        h5_handle set = c.handle(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose, std::string("cannot open /lfp/") + name);
        h5_handle sp = c.handle(H5Dget_space(set), H5Sclose, std::string("cannot read /lfp/") + name);
        const hssize_t n = H5Sget_simple_extent_npoints(sp);
        std::vector<double> v(static_cast<std::size_t>(std::max<hssize_t>(n, 0)));
        if (n > 0) c.ok(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
                        std::string("cannot read /lfp/") + name);
        return v;
    };
    out.ampa = matrix("ampa");
    out.gaba = matrix("gaba");
    if (out.ampa.size() != out.gaba.size() || (E > 0 && out.ampa.size() % std::size_t(E)))
        c.fail("/lfp/ampa and /lfp/gaba do not match the electrodes");
    return out;
}

}  // namespace m1
