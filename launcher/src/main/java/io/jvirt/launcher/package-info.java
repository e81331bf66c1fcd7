package io.jvirt.launcher;
