"""Facts from the packages' own changelogs and release notes, asserted against the shipped API index.

Each fact names the release that added or removed an API and cites where the project says so. A "removed in R"
fact checks that the last indexed release before R has the name, that no release from R on has it, and that the
index knows this for the first release from R on (its name list is complete there, so the absence is evidence). An
"added in A" fact checks the mirror image. (Releases far from the boundary may have incomplete name lists:
Keras 2.4 re-exports tf.keras wholesale; so only the release on the other side of the boundary must be known.)
Keyword facts count only releases that name the keyword explicitly (a ``**kwargs`` catch-all is reported
separately by the query layer).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.knowledge import api

SHIPPED = set(api.indexed_distributions())


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    dist: str
    name: str
    keywords: tuple[str, ...] = ()
    added: str | None = None
    removed: str | None = None
    back: str | None = None  # present again from this release on
    explicit: bool = False  # keywords must be named, not just taken by **kwargs


def _check(fact: Fact) -> None:
    assert canonicalize_name(fact.dist) in SHIPPED, f"no shipped index for {fact.dist}: run make kb-one"
    result = api.which_versions(fact.dist, fact.name, fact.keywords)
    releases = api.distribution_info(fact.dist).releases
    have = set(result.versions)
    if fact.explicit:
        have -= set(result.via_kwargs)
    unknown = set(result.unknown)
    if fact.removed is not None:
        cut = Version(fact.removed)
        before = [v for v in releases if v < cut]
        after = [v for v in releases if v >= cut and (fact.back is None or v < Version(fact.back))]
        if fact.back is not None:
            returned = [v for v in releases if v >= Version(fact.back)]
            assert returned and returned[0] in have, f"{fact.name} not back in {fact.back}"
        assert before and before[-1] in have, f"{fact.name} missing in {before[-1] if before else '-'}"
        assert not (have & set(after)), f"{fact.name} still in {sorted(have & set(after))[:3]}"
        assert after[0] not in unknown, f"{fact.name}: absence in {after[0]} is not evidence"
    if fact.added is not None:
        cut = Version(fact.added)
        before = [v for v in releases if v < cut]
        after = [v for v in releases if v >= cut]
        assert after and after[0] in have, f"{fact.name} missing in {after[0] if after else '-'}"
        assert not (have & set(before)), f"{fact.name} already in {sorted(have & set(before))[-3:]}"
        assert before[-1] not in unknown, f"{fact.name}: absence in {before[-1]} is not evidence"


FACTS = [
    # --- TensorFlow -----------------------------------------------------------------------------------------
    # TF 2.0.0 release notes: "tf.contrib has been deprecated, and functionality has been either migrated to the
    # core TensorFlow API, to an ecosystem project ... or removed entirely."
    # https://github.com/tensorflow/tensorflow/releases/tag/v2.0.0
    pytest.param(Fact(dist="tensorflow", name="tensorflow.contrib", removed="2.0.0"), id="tf_contrib_gone_in_2_0"),
    pytest.param(
        Fact(dist="tensorflow", name="tensorflow.contrib.layers.xavier_initializer", removed="2.0.0"),
        id="tf_contrib_xavier_gone_in_2_0",
    ),
    # TF 2.0.0 release notes: "Removal of tf.Session ... use tf.compat.v1.Session"; the v1 symbols such as
    # tf.placeholder live only under tf.compat.v1 in the 2.x API ("API clean-up" section).
    pytest.param(Fact(dist="tensorflow", name="tensorflow.Session", removed="2.0.0"), id="tf_session_gone_in_2_0"),
    pytest.param(
        Fact(dist="tensorflow", name="tensorflow.placeholder", removed="2.0.0"), id="tf_placeholder_gone_in_2_0"
    ),
    pytest.param(
        Fact(dist="tensorflow", name="tensorflow.train.AdamOptimizer", removed="2.0.0"),
        id="tf_train_adam_optimizer_gone_in_2_0",
    ),
    pytest.param(
        Fact(dist="tensorflow", name="tensorflow.layers.dense", removed="2.0.0"), id="tf_layers_dense_gone_in_2_0"
    ),
    # TF 1.13.1 release notes (the first 1.13 on the index): "tf.compat.v1 and tf.compat.v2 ... available" —
    # the 1.13 API generator wrote the _api/v1/compat tree.
    # https://github.com/tensorflow/tensorflow/releases/tag/v1.13.1
    pytest.param(
        Fact(dist="tensorflow", name="tensorflow.compat.v1.Session", added="1.13.1"),
        id="tf_compat_v1_session_from_1_13",
    ),
    # TF 1.4.0 release notes: "tf.keras is now part of the core TensorFlow API."
    # https://github.com/tensorflow/tensorflow/releases/tag/v1.4.0
    pytest.param(Fact(dist="tensorflow", name="tensorflow.keras.layers.Dense", added="1.4.0"), id="tf_keras_from_1_4"),
    # --- Keras ----------------------------------------------------------------------------------------------
    # Keras 2.0.0 release notes, "Breaking changes": Dense(output_dim) became Dense(units); Model(input, output)
    # became Model(inputs, outputs) (the old names are still taken through **kwargs with a warning).
    # https://github.com/keras-team/keras/releases/tag/2.0.0
    pytest.param(
        Fact(dist="keras", name="keras.layers.Dense", keywords=("units",), added="2.0.0", explicit=True),
        id="keras_dense_units_from_2_0",
    ),
    pytest.param(
        Fact(dist="keras", name="keras.layers.Dense", keywords=("output_dim",), removed="2.0.0", explicit=True),
        id="keras_dense_output_dim_until_2_0",
    ),
    # Keras 2.2.0 split keras/engine/topology.py: "network.py -> Network (formerly Container)" (keras-team/keras
    # pull request #10023, "Refactor topological part of `engine` module", released in 2.2.0).
    # https://github.com/keras-team/keras/pull/10023
    pytest.param(
        Fact(dist="keras", name="keras.engine.topology.Container", removed="2.2.0"),
        id="keras_topology_container_until_2_2",
    ),
    pytest.param(
        Fact(dist="keras", name="keras.engine.network.Network", added="2.2.0"), id="keras_engine_network_from_2_2"
    ),
    # Keras 2.2.0 release notes: "Remove legacy Merge layers and associated functionality (remnant of Keras 0),
    # which were deprecated in May 2016." https://github.com/keras-team/keras/releases/tag/2.2.0
    pytest.param(Fact(dist="keras", name="keras.layers.Merge", removed="2.2.0"), id="keras_merge_layer_gone_2_2"),
    # TensorFlow 2.13.0 release notes, Keras section (keras 2.13 ships with it; 2.13.1 is its first release on
    # the index): "Removed the Keras scikit-learn API wrappers (KerasClassifier and KerasRegressor)" and "In the
    # keras PyPI package, accessible symbols are now restricted to symbols that are intended to be public"
    # (keras.utils.np_utils was not). https://github.com/tensorflow/tensorflow/releases/tag/v2.13.0
    pytest.param(
        Fact(dist="keras", name="keras.wrappers.scikit_learn.KerasClassifier", removed="2.13.0"),
        id="keras_sklearn_wrapper_gone_2_13",
    ),
    pytest.param(
        Fact(dist="keras", name="keras.utils.np_utils.to_categorical", removed="2.13.0"),
        id="keras_np_utils_gone_2_13",
    ),
    pytest.param(
        Fact(dist="keras", name="keras.models.Model", keywords=("input",), removed="2.0.0", explicit=True),
        id="keras_model_input_keyword_until_2_0",
    ),
    # --- scikit-learn --------------------------------------------------------------------------------------
    # Release notes 0.20: "The cross_validation, grid_search and learning_curve modules ... have been removed"
    # (deprecated in 0.18). https://scikit-learn.org/stable/whats_new/v0.20.html
    pytest.param(
        Fact(dist="scikit-learn", name="sklearn.cross_validation", removed="0.20.0"),
        id="sklearn_cross_validation_gone_0_20",
    ),
    pytest.param(
        Fact(dist="scikit-learn", name="sklearn.cross_validation.train_test_split", removed="0.20.0"),
        id="sklearn_cv_train_test_split_gone_0_20",
    ),
    pytest.param(
        Fact(dist="scikit-learn", name="sklearn.grid_search.GridSearchCV", removed="0.20.0"),
        id="sklearn_grid_search_gone_0_20",
    ),
    pytest.param(
        Fact(dist="scikit-learn", name="sklearn.learning_curve", removed="0.20.0"),
        id="sklearn_learning_curve_module_gone_0_20",
    ),
    # Release notes 0.18: "new sklearn.model_selection module". https://scikit-learn.org/stable/whats_new/v0.18.html
    pytest.param(
        Fact(dist="scikit-learn", name="sklearn.model_selection.train_test_split", added="0.18"),
        id="sklearn_model_selection_from_0_18",
    ),
    # Release notes 0.20: "sklearn.impute ... SimpleImputer" new; 0.22: "preprocessing.Imputer ... removed".
    # https://scikit-learn.org/stable/whats_new/v0.20.html, https://scikit-learn.org/stable/whats_new/v0.22.html
    pytest.param(
        Fact(dist="scikit-learn", name="sklearn.impute.SimpleImputer", added="0.20.0"),
        id="sklearn_simple_imputer_from_0_20",
    ),
    pytest.param(
        Fact(dist="scikit-learn", name="sklearn.preprocessing.Imputer", removed="0.22"),
        id="sklearn_preprocessing_imputer_gone_0_22",
    ),
    # Release notes 0.23: "sklearn.externals.joblib is removed" (deprecated in 0.21).
    # https://scikit-learn.org/stable/whats_new/v0.23.html
    pytest.param(
        Fact(dist="scikit-learn", name="sklearn.externals.joblib", removed="0.23.0"),
        id="sklearn_externals_joblib_gone_0_23",
    ),
    # Release notes 1.2: plot_confusion_matrix and the other plot_* functions removed (deprecated in 1.0, new in
    # 0.22). https://scikit-learn.org/stable/whats_new/v1.2.html, https://scikit-learn.org/stable/whats_new/v0.22.html
    pytest.param(
        Fact(dist="scikit-learn", name="sklearn.metrics.plot_confusion_matrix", added="0.22", removed="1.2.0"),
        id="sklearn_plot_confusion_matrix_0_22_to_1_2",
    ),
    # Release notes 1.2: OneHotEncoder's `sparse` renamed `sparse_output`; 1.4 removes `sparse`.
    # https://scikit-learn.org/stable/whats_new/v1.2.html, https://scikit-learn.org/stable/whats_new/v1.4.html
    pytest.param(
        Fact(
            dist="scikit-learn",
            name="sklearn.preprocessing.OneHotEncoder",
            keywords=("sparse_output",),
            added="1.2.0",
            explicit=True,
        ),
        id="sklearn_onehot_sparse_output_from_1_2",
    ),
    pytest.param(
        Fact(
            dist="scikit-learn",
            name="sklearn.preprocessing.OneHotEncoder",
            keywords=("sparse",),
            removed="1.4.0",
            explicit=True,
        ),
        id="sklearn_onehot_sparse_gone_1_4",
    ),
    # --- SciPy ----------------------------------------------------------------------------------------------
    # SciPy 1.3.0 release notes, "Removed functionality": scipy.misc imread, imsave, imresize, ... and comb,
    # factorial, logsumexp, ... removed. imread is defined in scipy/misc/pilutil.py and only importable with
    # Pillow installed (see the breakage table); the index records it where the source defines it.
    # https://docs.scipy.org/doc/scipy/release/1.3.0-notes.html
    pytest.param(Fact(dist="scipy", name="scipy.misc.imread", removed="1.3.0"), id="scipy_misc_imread_gone_1_3"),
    pytest.param(Fact(dist="scipy", name="scipy.misc.imresize", removed="1.3.0"), id="scipy_misc_imresize_gone_1_3"),
    pytest.param(Fact(dist="scipy", name="scipy.misc.comb", removed="1.3.0"), id="scipy_misc_comb_gone_1_3"),
    pytest.param(Fact(dist="scipy", name="scipy.misc.logsumexp", removed="1.3.0"), id="scipy_misc_logsumexp_gone_1_3"),
    # SciPy 1.6.0 release notes: "scipy.integrate.simpson" (new name of simps); 1.14.0 removes simps, trapz,
    # cumtrapz. https://docs.scipy.org/doc/scipy/release/1.6.0-notes.html,
    # https://docs.scipy.org/doc/scipy/release/1.14.0-notes.html
    pytest.param(
        Fact(dist="scipy", name="scipy.integrate.simpson", added="1.6.0"), id="scipy_integrate_simpson_from_1_6"
    ),
    pytest.param(
        Fact(dist="scipy", name="scipy.integrate.simps", removed="1.14.0"), id="scipy_integrate_simps_gone_1_14"
    ),
    pytest.param(
        Fact(dist="scipy", name="scipy.integrate.cumtrapz", removed="1.14.0"),
        id="scipy_integrate_cumtrapz_gone_1_14",
    ),
    # --- NumPy ----------------------------------------------------------------------------------------------
    # NumPy 1.24.0 release notes, "Expired deprecations": the aliases np.object, np.bool, np.float, np.complex,
    # np.str and np.int are removed (deprecated in 1.20). https://numpy.org/doc/stable/release/1.24.0-notes.html
    pytest.param(Fact(dist="numpy", name="numpy.float", removed="1.24.0"), id="numpy_float_gone_1_24"),
    pytest.param(Fact(dist="numpy", name="numpy.int", removed="1.24.0"), id="numpy_int_gone_1_24"),
    # NumPy 2.0 puts np.bool back as the NumPy boolean scalar type: numpy pull request #25080, "API: Add and
    # redefine numpy.bool [Array API]" (merged November 2023, released in 2.0.0).
    # https://github.com/numpy/numpy/pull/25080
    pytest.param(
        Fact(dist="numpy", name="numpy.bool", removed="1.24.0", back="2.0.0"), id="numpy_bool_gone_1_24_back_2_0"
    ),
    pytest.param(Fact(dist="numpy", name="numpy.complex", removed="1.24.0"), id="numpy_complex_gone_1_24"),
    pytest.param(Fact(dist="numpy", name="numpy.object", removed="1.24.0"), id="numpy_object_gone_1_24"),
    # NumPy 1.23.0 release notes, "Expired deprecations": np.asscalar removed (deprecated in 1.16).
    # https://numpy.org/doc/stable/release/1.23.0-notes.html
    pytest.param(Fact(dist="numpy", name="numpy.asscalar", removed="1.23.0"), id="numpy_asscalar_gone_1_23"),
    # NumPy 2.0.0 release notes, "Removed members of the main namespace": np.NaN, np.Inf, np.float_ ...
    # https://numpy.org/doc/stable/release/2.0.0-notes.html
    pytest.param(Fact(dist="numpy", name="numpy.NaN", removed="2.0.0"), id="numpy_NaN_gone_2_0"),
    pytest.param(Fact(dist="numpy", name="numpy.float_", removed="2.0.0"), id="numpy_float__gone_2_0"),
    # --- pandas ---------------------------------------------------------------------------------------------
    # pandas 1.0.0 what's new, "Removal of prior version deprecations": ".ix" and "DataFrame.as_matrix" removed.
    # https://pandas.pydata.org/docs/whatsnew/v1.0.0.html
    pytest.param(Fact(dist="pandas", name="pandas.DataFrame.ix", removed="1.0.0"), id="pandas_ix_gone_1_0"),
    pytest.param(
        Fact(dist="pandas", name="pandas.DataFrame.as_matrix", removed="1.0.0"), id="pandas_as_matrix_gone_1_0"
    ),
    # pandas 0.25.0 what's new: "Panel has been fully removed" (pandas.core.panel; a dummy pd.Panel class stays
    # for unpickling until 1.2). https://pandas.pydata.org/docs/whatsnew/v0.25.0.html
    pytest.param(Fact(dist="pandas", name="pandas.core.panel.Panel", removed="0.25.0"), id="pandas_panel_gone_0_25"),
    # pandas 2.0.0 what's new, "Removal of prior version deprecations": read_csv's error_bad_lines and
    # warn_bad_lines, DataFrame.append and DataFrame.iteritems removed.
    # https://pandas.pydata.org/docs/whatsnew/v2.0.0.html
    pytest.param(
        Fact(dist="pandas", name="pandas.read_csv", keywords=("error_bad_lines",), removed="2.0.0"),
        id="pandas_read_csv_error_bad_lines_gone_2_0",
    ),
    pytest.param(Fact(dist="pandas", name="pandas.DataFrame.append", removed="2.0.0"), id="pandas_append_gone_2_0"),
    pytest.param(
        Fact(dist="pandas", name="pandas.DataFrame.iteritems", removed="2.0.0"), id="pandas_iteritems_gone_2_0"
    ),
    # pandas 1.3.0 what's new: read_csv's new on_bad_lines parameter. https://pandas.pydata.org/docs/whatsnew/v1.3.0.html
    pytest.param(
        Fact(dist="pandas", name="pandas.read_csv", keywords=("on_bad_lines",), added="1.3.0", explicit=True),
        id="pandas_read_csv_on_bad_lines_from_1_3",
    ),
    # --- tensorflow-gpu (the GPU build of the same releases, indexed from its own wheels) ---------------------
    # TF 2.0.0 release notes (tf.contrib removed) and TF 1.13.1 release notes (tf.compat.v1), as above.
    # https://github.com/tensorflow/tensorflow/releases/tag/v2.0.0
    pytest.param(
        Fact(dist="tensorflow-gpu", name="tensorflow.contrib", removed="2.0.0"), id="tf_gpu_contrib_gone_in_2_0"
    ),
    pytest.param(
        Fact(dist="tensorflow-gpu", name="tensorflow.compat.v1.Session", added="1.13.1"),
        id="tf_gpu_compat_v1_session_from_1_13",
    ),
    # --- transformers -----------------------------------------------------------------------------------------
    # transformers v4.0.0 reorganised the repository: each model's files moved into its own folder under
    # transformers/models/ (transformers.models.bert.modeling_bert), and the top-level modeling_bert module went
    # away (v4 migration guide, "Migrating from transformers v3.x to v4.x").
    # https://github.com/huggingface/transformers/releases/tag/v4.0.0
    pytest.param(
        Fact(dist="transformers", name="transformers.modeling_bert", removed="4.0.0"),
        id="transformers_modeling_bert_until_4_0",
    ),
    pytest.param(
        Fact(dist="transformers", name="transformers.models.bert.modeling_bert", added="4.0.0"),
        id="transformers_models_bert_from_4_0",
    ),
    # --- gensim ---------------------------------------------------------------------------------------------
    # gensim 4.0 "Migrating from Gensim 3.x to 4": "The size ctr parameter is now consistently called
    # vector_size" (Word2Vec and the other *2Vec models).
    # https://github.com/RaRe-Technologies/gensim/wiki/Migrating-from-Gensim-3.x-to-4
    pytest.param(
        Fact(dist="gensim", name="gensim.models.Word2Vec", keywords=("size",), removed="4.0.0", explicit=True),
        id="gensim_word2vec_size_until_4_0",
    ),
    pytest.param(
        Fact(dist="gensim", name="gensim.models.Word2Vec", keywords=("vector_size",), added="4.0.0", explicit=True),
        id="gensim_word2vec_vector_size_from_4_0",
    ),
]


@pytest.mark.parametrize("fact", FACTS)
def test_fact(fact: Fact) -> None:
    _check(fact)


def test_enough_facts() -> None:
    assert len(FACTS) >= 40
