"""TensorFlow's C++ start-up lines stay off stderr; everything else written there still gets through."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _stderr_of(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_importing_the_keras_networks_prints_nothing():
    err = _stderr_of(
        """
        import os
        os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        import gaitcli.gait.network, gaitcli.pose.ir_network
        import tensorflow as tf
        assert tf.reduce_sum(tf.ones(3)).numpy() == 3
        """
    )
    assert err == ""


def test_other_lines_written_during_the_import_are_passed_on():
    err = _stderr_of(
        """
        import os, sys
        from gaitcli import tf_import
        with tf_import._filtered_stderr():
            os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
            os.write(2, b"I0000 00:00:1795512810.190671    7225 port.cc:153] oneDNN custom operations are on.\\n")
            os.write(2, b"a real problem\\n")
            print("from python", file=sys.stderr)
        print("after", file=sys.stderr)
        """
    )
    assert err.splitlines() == ["a real problem", "from python", "after"]
