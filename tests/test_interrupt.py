"""Signals inside a shielded section wait for its end; none is lost."""

import os
import signal

import pytest

from kg.interrupt import shielded, terminate_as_interrupt


def test_ctrl_c_inside_a_shielded_block_is_raised_when_it_ends():
    finished = []
    with pytest.raises(KeyboardInterrupt):
        with shielded():
            os.kill(os.getpid(), signal.SIGINT)
            finished.append("the block ran to its end")
    assert finished == ["the block ran to its end"]


def test_sigterm_inside_a_shielded_block_is_raised_as_an_interrupt_when_it_ends():
    finished = []
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        with terminate_as_interrupt(), shielded():
            os.kill(os.getpid(), signal.SIGTERM)
            finished.append("the block ran to its end")
    assert finished == ["the block ran to its end"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_quiet_shielded_block_raises_nothing_and_restores_the_handlers():
    before = signal.getsignal(signal.SIGINT)
    with shielded():
        pass
    assert signal.getsignal(signal.SIGINT) is before
