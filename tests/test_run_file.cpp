// The run file (docs/run-file.md): written by write_run_file, read back here with HDF5's C API
// directly (not through the writer's code) and compared exactly.
#include "core/io/run_file.hpp"

#include "core/io/hdf5_support.hpp"

#include "core/base/error.hpp"
#include "test_support.hpp"

#include <hdf5.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using m1::test::h5;
using m1::test::listing;
using m1::test::ok;
using m1::test::write_file;

namespace {

// ---------------------------------------------------------------------------------------------
// A minimal, independent HDF5 reader for the checks.

void reclaim(hid_t type, hid_t space, void* buffer) {
#if H5_VERSION_GE(1, 12, 0)  // 1.10.8 declares H5Treclaim but does not export it
    ok(H5Treclaim(type, space, H5P_DEFAULT, buffer));
#else
    ok(H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer));
#endif
}

h5 open_file(const fs::path& p) { return h5(H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose); }
h5 open_set(hid_t file, const std::string& p) { return h5(H5Dopen2(file, p.c_str(), H5P_DEFAULT), H5Dclose); }
h5 open_attr(hid_t file, const std::string& object, const std::string& name) {
    return h5(H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
}

bool link_exists(hid_t file, const std::string& p) {
    const htri_t r = H5Lexists(file, p.c_str(), H5P_DEFAULT);
    ok(r);
    return r > 0;
}

std::vector<hsize_t> dims_of(hid_t space) {
    const int rank = H5Sget_simple_extent_ndims(space);
    ok(rank);
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    ok(H5Sget_simple_extent_dims(space, dims.data(), nullptr));
    return dims;
}

// Reads a numeric dataset after checking that its stored type is exactly `stored`.
template <class T>
std::vector<T> read_numbers(hid_t file, const std::string& p, hid_t stored, hid_t memory,
                            std::vector<hsize_t>* dims = nullptr) {
    h5 set = open_set(file, p);
    h5 type(H5Dget_type(set), H5Tclose);
    if (H5Tequal(type, stored) <= 0) throw std::runtime_error(p + " has an unexpected type");
    h5 space(H5Dget_space(set), H5Sclose);
    const auto d = dims_of(space);
    if (dims != nullptr) *dims = d;
    hsize_t n = 1;
    for (hsize_t x : d) n *= x;
    std::vector<T> values(n);
    if (n > 0) ok(H5Dread(set, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
    return values;
}

std::vector<double> read_f64(hid_t file, const std::string& p, std::vector<hsize_t>* dims = nullptr) {
    return read_numbers<double>(file, p, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims);
}
std::vector<std::uint64_t> read_u64(hid_t file, const std::string& p,
                                    std::vector<hsize_t>* dims = nullptr) {
    return read_numbers<std::uint64_t>(file, p, H5T_STD_U64LE, H5T_NATIVE_UINT64, dims);
}

// Checks that `type` is a variable-length UTF-8 string type.
void expect_vlen_utf8(hid_t type, const std::string& what) {
    EXPECT_EQ(H5Tget_class(type), H5T_STRING) << what;
    EXPECT_GT(H5Tis_variable_str(type), 0) << what;
    EXPECT_EQ(H5Tget_cset(type), H5T_CSET_UTF8) << what;
}

h5 vlen_string_type() {
    h5 t(H5Tcopy(H5T_C_S1), H5Tclose);
    ok(H5Tset_size(t, H5T_VARIABLE));
    ok(H5Tset_cset(t, H5T_CSET_UTF8));
    return t;
}

std::vector<std::string> take_strings(std::vector<char*>& raw, hid_t memtype, hid_t space) {
    std::vector<std::string> out;
    for (char* s : raw) out.emplace_back(s == nullptr ? "" : s);
    if (!raw.empty()) reclaim(memtype, space, raw.data());
    return out;
}

// A dataset of variable-length UTF-8 strings (any rank; scalar gives one element).
std::vector<std::string> read_strings(hid_t file, const std::string& p, std::vector<hsize_t>* dims = nullptr) {
    h5 set = open_set(file, p);
    h5 type(H5Dget_type(set), H5Tclose);
    expect_vlen_utf8(type, p);
    h5 space(H5Dget_space(set), H5Sclose);
    const auto d = dims_of(space);
    if (dims != nullptr) *dims = d;
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    ok(static_cast<herr_t>(n < 0 ? -1 : 0));
    h5 mem = vlen_string_type();
    std::vector<char*> raw(static_cast<std::size_t>(n), nullptr);
    if (n > 0) ok(H5Dread(set, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()));
    return take_strings(raw, mem, space);
}

std::vector<std::string> attr_strings(hid_t file, const std::string& object, const std::string& name,
                                      std::vector<hsize_t>* dims = nullptr) {
    h5 attr = open_attr(file, object, name);
    h5 type(H5Aget_type(attr), H5Tclose);
    expect_vlen_utf8(type, object + " @" + name);
    h5 space(H5Aget_space(attr), H5Sclose);
    const auto d = dims_of(space);
    if (dims != nullptr) *dims = d;
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    h5 mem = vlen_string_type();
    std::vector<char*> raw(static_cast<std::size_t>(n), nullptr);
    if (n > 0) ok(H5Aread(attr, mem, raw.data()));
    return take_strings(raw, mem, space);
}

std::string attr_string(hid_t file, const std::string& object, const std::string& name) {
    std::vector<hsize_t> dims;
    auto values = attr_strings(file, object, name, &dims);
    EXPECT_TRUE(dims.empty()) << object << " @" << name << " is not scalar";
    return values.at(0);
}

template <class T>
T attr_number(hid_t file, const std::string& object, const std::string& name, hid_t stored,
              hid_t memory) {
    h5 attr = open_attr(file, object, name);
    h5 type(H5Aget_type(attr), H5Tclose);
    EXPECT_GT(H5Tequal(type, stored), 0) << object << " @" << name << " has an unexpected type";
    h5 space(H5Aget_space(attr), H5Sclose);
    EXPECT_EQ(H5Sget_simple_extent_type(space), H5S_SCALAR) << object << " @" << name;
    T value{};
    ok(H5Aread(attr, memory, &value));
    return value;
}

std::vector<std::string> attribute_names_in_creation_order(hid_t file, const std::string& object) {
    h5 obj(H5Oopen(file, object.c_str(), H5P_DEFAULT), H5Oclose);
    H5O_info_t info;
#if H5_VERSION_GE(1, 10, 3)
    ok(H5Oget_info2(obj, &info, H5O_INFO_NUM_ATTRS));
#else
    ok(H5Oget_info(obj, &info));
#endif
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.num_attrs; ++i) {
        char buffer[256] = {};
        ok(static_cast<herr_t>(H5Aget_name_by_idx(obj, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i,
                                                  buffer, sizeof buffer, H5P_DEFAULT) < 0 ? -1 : 0));
        names.emplace_back(buffer);
    }
    return names;
}

std::vector<std::string> links_in_creation_order(hid_t file, const std::string& group) {
    h5 g(H5Gopen2(file, group.c_str(), H5P_DEFAULT), H5Gclose);
    H5G_info_t info;
    ok(H5Gget_info(g, &info));
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        char buffer[256] = {};
        ok(static_cast<herr_t>(H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i,
                                                  buffer, sizeof buffer, H5P_DEFAULT) < 0 ? -1 : 0));
        names.emplace_back(buffer);
    }
    return names;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

class run_file : public ::testing::Test {
protected:
    m1::test::temporary_directory temp_{"run-file"};
    const fs::path dir_ = temp_.path();
};

std::string big_model_json() {
    std::string s = "{\"netParams\": {\"note\": \"";
    while (s.size() < 200 * 1024) s += "µ-cortex L5B PT \\u00b5 ";
    s += "\"}}";
    return s;
}

m1::run_record sample_record() {
    m1::run_record r;
    // Model order deliberately not alphabetical; the middle population has no spikes.
    r.spikes.push_back({"PT5B", {0.5, 1.25, 1.25, 7.0}, {4, 1, 2, 4}});
    r.spikes.push_back({"IT2", {}, {}});
    r.spikes.push_back({"SOM6", {0.025, 999.975}, {0, 0}});

    r.cells.gid = {0, 1, 2, 3, 4};
    r.cells.population = {"PT5B", "PT5B", "IT2", "SOM6", "SOM6"};
    r.cells.cell_type = {"PT", "PT", "IT", "SOM", "SOM"};
    r.cells.x = {1.5, 2.5, 3.5, 4.5, 5.5};
    r.cells.y = {100.0, 200.0, 300.0, 400.0, 1350.0};
    r.cells.z = {-1.0, 0.0, 1.0, 2.0, 3.0};
    r.cells.ynorm = {0.1, 0.2, 0.3, 0.4, 0.999};

    r.connectivity.pre_populations = {"PT5B", "IT2", "SOM6"};
    r.connectivity.post_populations = {"PT5B", "IT2"};
    r.connectivity.synaptic_mechanisms = {"AMPA", "NMDA", "GABAA", "GABAB"};
    for (std::uint64_t i = 0; i < 3 * 2 * 4; ++i) r.connectivity.contacts.push_back(i * 7 + 1);

    r.run_attributes = {{"format_version", std::int64_t{1}},
                        {"seed", std::int64_t{-42}},
                        {"model_file", std::string("models/m1.json")},
                        {"duration", 1000.5},
                        {"label", std::string("Δt sweep µ")},
                        {"big", std::int64_t{9007199254740993}}};
    r.model_json = big_model_json();

    r.record_step = 0.1;
    r.traces.push_back({"PT5B", 1, 1, {-65.0, -64.5, -30.25, 20.125, -70.0}});
    r.traces.push_back({"SOM6", 0, 3, {-70.0, -70.0, -69.5, -69.0, -68.75}});
    return r;
}

// ---------------------------------------------------------------------------------------------
// Tests

TEST_F(run_file, writes_every_section_and_reads_back_exactly) {
    const auto r = sample_record();
    const fs::path path = dir_ / "run.h5";
    m1::write_run_file(path, r);
    EXPECT_EQ(listing(dir_), std::vector<std::string>{"run.h5"});  // no temporary left

    h5 f = open_file(path);

    // Root: SONATA magic and version.
    EXPECT_EQ((attr_number<std::uint32_t>(f, "/", "magic", H5T_STD_U32LE, H5T_NATIVE_UINT32)), 0x0A7Au);
    {
        h5 attr = open_attr(f, "/", "version");
        h5 type(H5Aget_type(attr), H5Tclose);
        EXPECT_GT(H5Tequal(type, H5T_STD_U32LE), 0);
        h5 space(H5Aget_space(attr), H5Sclose);
        EXPECT_EQ(dims_of(space), std::vector<hsize_t>{2});
        std::uint32_t v[2] = {9, 9};
        ok(H5Aread(attr, H5T_NATIVE_UINT32, v));
        EXPECT_EQ(v[0], 0u);
        EXPECT_EQ(v[1], 1u);
    }

    // Spikes: populations in model (creation) order, datasets, units, sorting enum.
    EXPECT_EQ(links_in_creation_order(f, "/spikes"), (std::vector<std::string>{"PT5B", "IT2", "SOM6"}));
    for (const auto& pop : r.spikes) {
        const std::string g = "/spikes/" + pop.population;
        std::vector<hsize_t> dims;
        EXPECT_EQ(read_f64(f, g + "/timestamps", &dims), pop.timestamps) << g;
        EXPECT_EQ(dims, std::vector<hsize_t>{pop.timestamps.size()}) << g;
        EXPECT_EQ(read_u64(f, g + "/node_ids", &dims), pop.node_ids) << g;
        EXPECT_EQ(dims, std::vector<hsize_t>{pop.node_ids.size()}) << g;
        EXPECT_EQ(attr_string(f, g + "/timestamps", "units"), "ms") << g;

        h5 attr = open_attr(f, g, "sorting");
        h5 type(H5Aget_type(attr), H5Tclose);
        ASSERT_EQ(H5Tget_class(type), H5T_ENUM) << g;
        h5 base(H5Tget_super(type), H5Tclose);
        EXPECT_GT(H5Tequal(base, H5T_STD_U8LE), 0) << g;
        ASSERT_EQ(H5Tget_nmembers(type), 3) << g;
        const char* expected_names[] = {"none", "by_id", "by_time"};
        for (unsigned i = 0; i < 3; ++i) {
            char* name = H5Tget_member_name(type, i);
            std::uint8_t value = 99;
            ok(H5Tget_member_value(type, i, &value));
            EXPECT_STREQ(name, expected_names[value < 3 ? value : 0]) << g << " member " << i;
            EXPECT_EQ(value, i) << g;
            H5free_memory(name);
        }
        h5 space(H5Aget_space(attr), H5Sclose);
        EXPECT_EQ(H5Sget_simple_extent_type(space), H5S_SCALAR);
        std::uint8_t value = 99;
        ok(H5Aread(attr, type, &value));
        EXPECT_EQ(value, 2) << g;
        char name[32] = {};
        ok(H5Tenum_nameof(type, &value, name, sizeof name));
        EXPECT_STREQ(name, "by_time") << g;
    }

    // Cells.
    EXPECT_EQ(read_u64(f, "/cells/gid"), r.cells.gid);
    std::vector<hsize_t> dims;
    EXPECT_EQ(read_strings(f, "/cells/population", &dims), r.cells.population);
    EXPECT_EQ(dims, std::vector<hsize_t>{5});
    EXPECT_EQ(read_strings(f, "/cells/cell_type"), r.cells.cell_type);
    EXPECT_EQ(read_f64(f, "/cells/x"), r.cells.x);
    EXPECT_EQ(read_f64(f, "/cells/y"), r.cells.y);
    EXPECT_EQ(read_f64(f, "/cells/z"), r.cells.z);
    EXPECT_EQ(read_f64(f, "/cells/ynorm"), r.cells.ynorm);

    // Connectivity.
    EXPECT_EQ(read_u64(f, "/connectivity/contacts", &dims), r.connectivity.contacts);
    EXPECT_EQ(dims, (std::vector<hsize_t>{3, 2, 4}));
    EXPECT_EQ(attr_strings(f, "/connectivity/contacts", "pre_populations", &dims),
              r.connectivity.pre_populations);
    EXPECT_EQ(dims, std::vector<hsize_t>{3});
    EXPECT_EQ(attr_strings(f, "/connectivity/contacts", "post_populations"),
              r.connectivity.post_populations);
    EXPECT_EQ(attr_strings(f, "/connectivity/contacts", "synaptic_mechanisms"),
              r.connectivity.synaptic_mechanisms);

    // Run attributes: in the given order, with their types.
    EXPECT_EQ(attribute_names_in_creation_order(f, "/run"),
              (std::vector<std::string>{"format_version", "seed", "model_file", "duration", "label", "big"}));
    EXPECT_EQ((attr_number<std::int64_t>(f, "/run", "format_version", H5T_STD_I64LE, H5T_NATIVE_INT64)), 1);
    EXPECT_EQ((attr_number<std::int64_t>(f, "/run", "seed", H5T_STD_I64LE, H5T_NATIVE_INT64)), -42);
    EXPECT_EQ((attr_number<std::int64_t>(f, "/run", "big", H5T_STD_I64LE, H5T_NATIVE_INT64)),
              9007199254740993);
    EXPECT_EQ((attr_number<double>(f, "/run", "duration", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE)), 1000.5);
    EXPECT_EQ(attr_string(f, "/run", "model_file"), "models/m1.json");
    EXPECT_EQ(attr_string(f, "/run", "label"), "Δt sweep µ");

    // The model, > 64 KiB, as one scalar string dataset.
    ASSERT_GT(r.model_json.size(), 64u * 1024);
    EXPECT_EQ(read_strings(f, "/run/model", &dims), std::vector<std::string>{r.model_json});
    EXPECT_TRUE(dims.empty());  // scalar

    // Traces.
    EXPECT_EQ((attr_number<double>(f, "/traces", "record_step", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE)), 0.1);
    std::vector<double> v;
    for (const auto& t : r.traces) v.insert(v.end(), t.v.begin(), t.v.end());
    EXPECT_EQ(read_f64(f, "/traces/v", &dims), v);
    EXPECT_EQ(dims, (std::vector<hsize_t>{2, 5}));
    std::vector<double> time;
    for (int k = 0; k < 5; ++k) time.push_back(k * 0.1);
    EXPECT_EQ(read_f64(f, "/traces/time", &dims), time);
    EXPECT_EQ(dims, std::vector<hsize_t>{5});
    EXPECT_EQ(read_strings(f, "/traces/population"), (std::vector<std::string>{"PT5B", "SOM6"}));
    EXPECT_EQ(read_u64(f, "/traces/node_id"), (std::vector<std::uint64_t>{1, 0}));
    EXPECT_EQ(read_u64(f, "/traces/gid"), (std::vector<std::uint64_t>{1, 3}));
}

TEST_F(run_file, read_run_spikes_round_trips_in_model_order) {
    const auto r = sample_record();
    const fs::path path = dir_ / "run.h5";
    m1::write_run_file(path, r);
    const auto back = m1::read_run_spikes(path);
    ASSERT_EQ(back.size(), r.spikes.size());
    for (std::size_t i = 0; i < back.size(); ++i) {
        EXPECT_EQ(back[i].population, r.spikes[i].population);
        EXPECT_EQ(back[i].timestamps, r.spikes[i].timestamps);
        EXPECT_EQ(back[i].node_ids, r.spikes[i].node_ids);
    }
}

TEST_F(run_file, no_traces_group_without_traces_and_empty_tables_are_fine) {
    m1::run_record r;
    r.spikes.push_back({"E", {}, {}});
    const fs::path path = dir_ / "run.h5";
    m1::write_run_file(path, r);
    h5 f = open_file(path);
    EXPECT_FALSE(link_exists(f, "/traces"));
    EXPECT_TRUE(read_u64(f, "/cells/gid").empty());
    EXPECT_TRUE(read_strings(f, "/cells/population").empty());
    std::vector<hsize_t> dims;
    EXPECT_TRUE(read_u64(f, "/connectivity/contacts", &dims).empty());
    EXPECT_EQ(dims, (std::vector<hsize_t>{0, 0, 0}));
    EXPECT_TRUE(attr_strings(f, "/connectivity/contacts", "pre_populations").empty());
    EXPECT_EQ(read_strings(f, "/run/model"), std::vector<std::string>{""});
    EXPECT_TRUE(attribute_names_in_creation_order(f, "/run").empty());
    const auto back = m1::read_run_spikes(path);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].population, "E");
    EXPECT_TRUE(back[0].timestamps.empty());
}

TEST_F(run_file, unwritable_directory_throws_naming_the_path_and_leaves_nothing) {
    // Tests may run as root, where chmod does not stop writes: use a regular file as "directory".
    write_file(dir_ / "afile", "not a directory");
    const fs::path path = dir_ / "afile" / "run.h5";
    try {
        m1::write_run_file(path, sample_record());
        FAIL() << "no run_error";
    } catch (const m1::run_error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("cannot create " + path.string()), std::string::npos) << msg;
        EXPECT_NE(msg.find("Not a directory"), std::string::npos) << msg;
    }
    EXPECT_EQ(listing(dir_), std::vector<std::string>{"afile"});
    EXPECT_TRUE(fs::is_regular_file(dir_ / "afile"));
}

TEST_F(run_file, missing_directory_throws_naming_the_path) {
    const fs::path path = dir_ / "no" / "such" / "run.h5";
    try {
        m1::write_run_file(path, sample_record());
        FAIL() << "no run_error";
    } catch (const m1::run_error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
        EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
    }
    EXPECT_TRUE(listing(dir_).empty());
}

TEST_F(run_file, failure_mid_write_leaves_no_temporary_file) {
    const fs::path path = dir_ / "run.h5";
    struct bad_case {
        const char* name;
        void (*spoil)(m1::run_record&);
        const char* expected;
    };
    const bad_case cases[] = {
        {"trace lengths", [](m1::run_record& r) { r.traces[1].v.pop_back(); }, "traces differ in length"},
        {"record step", [](m1::run_record& r) { r.record_step = 0; }, "record_step"},
        {"unsorted spikes", [](m1::run_record& r) { std::swap(r.spikes[0].timestamps[0], r.spikes[0].timestamps[3]); },
         "not sorted by time"},
        {"spike lengths", [](m1::run_record& r) { r.spikes[2].node_ids.push_back(1); }, "node ids"},
        {"cell columns", [](m1::run_record& r) { r.cells.ynorm.pop_back(); }, "ynorm"},
        {"contacts", [](m1::run_record& r) { r.connectivity.contacts.pop_back(); }, "contact counts"},
        {"population name", [](m1::run_record& r) { r.spikes[1].population = "a/b"; }, "a/b"},
        {"duplicate population", [](m1::run_record& r) { r.spikes[2].population = "PT5B"; },
         "/spikes/PT5B"},
        {"duplicate attribute", [](m1::run_record& r) { r.run_attributes.push_back({"seed", 1.0}); },
         "attribute seed of /run"},
    };
    for (const auto& c : cases) {
        auto r = sample_record();
        c.spoil(r);
        try {
            m1::write_run_file(path, r);
            ADD_FAILURE() << c.name << ": no run_error";
        } catch (const m1::run_error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(path.string()), std::string::npos) << c.name << ": " << msg;
            EXPECT_NE(msg.find(c.expected), std::string::npos) << c.name << ": " << msg;
        }
        EXPECT_TRUE(listing(dir_).empty()) << c.name;
    }
}

TEST_F(run_file, failed_overwrite_keeps_the_previous_file_and_success_replaces_it) {
    const fs::path path = dir_ / "run.h5";
    auto r = sample_record();
    m1::write_run_file(path, r);

    auto bad = sample_record();
    bad.spikes[0].timestamps = {5.0};
    bad.spikes[0].node_ids = {9};
    bad.traces[0].v.push_back(1.0);
    EXPECT_THROW(m1::write_run_file(path, bad), m1::run_error);
    EXPECT_EQ(listing(dir_), std::vector<std::string>{"run.h5"});
    EXPECT_EQ(m1::read_run_spikes(path)[0].timestamps, r.spikes[0].timestamps);

    bad.traces[0].v.pop_back();
    m1::write_run_file(path, bad);
    EXPECT_EQ(listing(dir_), std::vector<std::string>{"run.h5"});
    EXPECT_EQ(m1::read_run_spikes(path)[0].timestamps, std::vector<double>{5.0});
}

TEST_F(run_file, reading_a_missing_or_foreign_file_throws_naming_it) {
    const fs::path missing = dir_ / "missing.h5";
    try {
        m1::read_run_spikes(missing);
        FAIL() << "no run_error";
    } catch (const m1::run_error& e) {
        EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
    }
    const fs::path text = dir_ / "text.h5";
    write_file(text, "hello");
    EXPECT_THROW(m1::read_run_spikes(text), m1::run_error);
}

TEST_F(run_file, hdf5_error_printing_is_silenced_and_restored) {
    H5E_auto2_t before = nullptr;
    void* before_data = nullptr;
    ok(H5Eget_auto2(H5E_DEFAULT, &before, &before_data));
    const fs::path text = dir_ / "text.h5";
    write_file(text, "hello");
    auto r = sample_record();
    r.run_attributes.push_back({"seed", 1.0});  // fails inside HDF5 (attribute exists)
    ::testing::internal::CaptureStderr();
    EXPECT_THROW(m1::read_run_spikes(text), m1::run_error);
    EXPECT_THROW(m1::write_run_file(dir_ / "run.h5", r), m1::run_error);
    const std::string printed = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(printed, "");
    H5E_auto2_t after = nullptr;
    void* after_data = nullptr;
    ok(H5Eget_auto2(H5E_DEFAULT, &after, &after_data));
    EXPECT_EQ(after, before);
    EXPECT_EQ(after_data, before_data);
}

}  // namespace

